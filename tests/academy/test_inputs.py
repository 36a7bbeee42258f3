"""Query parameters of the portal that once failed as a 500: NUL characters, page numbers and other
integers written with non-ASCII digits or beyond 64 bits. Each is a 400 now; and the helpers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.inputs import MAX_INT, json_problem, parse_int
from academy.org.models import Agency
from tests.support.app import csrf_token

LISTS = ["/people", "/courses", "/admin/users", "/admin/audit", "/admin/courses/", "/admin/gdx/deliveries"]


@pytest.fixture
def admin(
    make_agency: Callable[..., Agency], make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> FlaskClient:
    return login(make_user(Role.ADMIN, agencies=(make_agency("10"),)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (str(MAX_INT), MAX_INT),
        (str(MAX_INT + 1), None),
        ("9" * 40, None),
        ("\u00b2", None),  # superscript two: str.isdigit() says yes, int() says no
        ("\u0e53", None),  # Thai three: int() reads it
        ("\u0663", None),  # Arabic-Indic three
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1e3", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_int_takes_ascii_digits_within_64_bits(text: str | None, expected: int | None) -> None:
    assert parse_int(text) == expected


def test_parse_int_applies_the_range() -> None:
    assert parse_int("2569", 2500, 2700) == 2569
    assert parse_int("2499", 2500, 2700) is None


def test_json_problem_names_the_path_of_a_nul_or_too_deep_nesting() -> None:
    assert json_problem({"a": [{"b": "x\x00"}]}, "doc") == "doc.a[0].b: contains a NUL character"
    assert json_problem({"http://x/y": "\x00"}, "ext") == 'ext["http://x/y"]: contains a NUL character'
    assert json_problem({"k\x00": 1}, "") == "k\x00: the key contains a NUL character".replace("k\x00", '["k\\u0000"]')
    deep: object = 1
    for _ in range(5):
        deep = [deep]
    assert json_problem(deep, "v", max_depth=5) is None
    assert json_problem([deep], "v", max_depth=5) == "v[0][0][0][0][0]: is nested more than 5 levels deep"
    assert json_problem({"a": "x\x00"}, "d", nul=False) is None


@pytest.mark.parametrize("path", [*LISTS, "/reports/", "/login", "/"])
def test_a_nul_in_any_query_parameter_is_400(admin: FlaskClient, path: str) -> None:
    response = admin.get(f"{path}?q=a%00b")
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("page", ["\u00b2", "\u0e51", str(10**20), "0", "-1"])
def test_a_page_that_is_not_a_number_in_range_is_400(admin: FlaskClient, path: str, page: str) -> None:
    assert admin.get(path, query_string={"page": page}).status_code == 400


@pytest.mark.parametrize("path", LISTS)
def test_the_first_page_is_still_shown(admin: FlaskClient, path: str) -> None:
    assert admin.get(path, query_string={"page": "1"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "name"),
    [("/courses", "level"), ("/reports/ranking", "fy"), ("/courses/assign", "fiscal_year")],
)
@pytest.mark.parametrize("value", ["\u00b2", str(2**64)])
def test_an_integer_filter_out_of_range_is_400(admin: FlaskClient, path: str, name: str, value: str) -> None:
    assert admin.get(path, query_string={name: value}).status_code == 400


@pytest.mark.parametrize("value", ["\u00b2", str(2**64)])
def test_an_id_filter_that_is_not_a_number_is_ignored(admin: FlaskClient, value: str) -> None:
    assert admin.get("/people", query_string={"agency": value, "line": value}).status_code == 200


def test_a_nul_in_a_form_field_is_400(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": "a\x00@example.go.th", "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "email" in response.get_data(as_text=True)
