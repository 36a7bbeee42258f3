"""The agency tree folds and searches; the agency type-ahead answers within the viewer's scope."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.org.models import Agency, Person

Login = Callable[[User], FlaskClient]


def _tree(make_agency: Callable[..., Agency]) -> tuple[Agency, Agency, Agency]:
    ministry = make_agency("71", name_th="กระทรวงทดลอง", name_en="Ministry of Trials")
    department = make_agency("71001", parent=ministry, name_th="กรมสถิติทดลอง", name_en="Trial Statistics")
    other = make_agency("72", name_th="กระทรวงอื่น", name_en="Other Ministry")
    make_agency("72001", parent=other, name_th="กรมอื่น", name_en="Other Department")
    return ministry, department, other


def test_the_tree_folds_and_a_search_shows_matches_with_the_agencies_above(
    make_agency: Callable[..., Agency], make_user: Callable[..., User], login: Login
) -> None:
    _tree(make_agency)
    client = login(make_user(Role.ADMIN))
    page = client.get("/agencies").get_data(as_text=True)
    assert "<details" in page and "กรมอื่น" in page
    found = client.get("/agencies?q=สถิติทดลอง").get_data(as_text=True)
    assert "กรมสถิติทดลอง" in found and "กระทรวงทดลอง" in found  # the match and its ministry
    assert "กรมอื่น" not in found and "กระทรวงอื่น" not in found
    assert "กรมสถิติทดลอง" in client.get("/agencies?q=71001").get_data(as_text=True)


def test_an_officer_sees_only_their_agencies_in_the_tree_and_the_type_ahead(
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    _ministry, department, other = _tree(make_agency)
    client = login(make_user(Role.HR_OFFICER, agencies=(department,)))
    page = client.get("/agencies").get_data(as_text=True)
    assert "กรมสถิติทดลอง" in page and "กรมอื่น" not in page and "กระทรวงทดลอง" not in page
    assert client.get("/agencies/search.json?q=กรม").get_json() == [
        {"id": department.id, "code": "71001", "name": "กรมสถิติทดลอง"}
    ]
    assert client.get("/agencies/search.json?q=72").get_json() == []
    # The people filter takes the type-ahead's "code name"; another agency's code finds nobody.
    mine = make_person(department, first_name_th="คนในกรม")
    theirs = make_person(make_agency(parent=other), first_name_th="คนกรมอื่น")
    listed = client.get("/people?agency_code=71001+กรมสถิติทดลอง").get_data(as_text=True)
    assert mine.first_name_th in listed and 'value="71001 กรมสถิติทดลอง"' in listed
    outside = client.get("/people?agency_code=72001").get_data(as_text=True)
    assert theirs.first_name_th not in outside and mine.first_name_th not in outside
    assert "กรมอื่น" not in outside  # the name of an agency outside the scope is not shown


def test_learners_get_no_agencies(make_user: Callable[..., User], login: Login) -> None:
    client = login(make_user(Role.LEARNER))
    assert client.get("/agencies").status_code == 403
    assert client.get("/agencies/search.json?q=71").status_code == 403
