"""Pages of personal data tell browsers and proxies not to keep them."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.org.models import Agency, Person
from competencies.services.frameworks import seed_standard


def test_personal_data_pages_are_not_stored(
    client: FlaskClient,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    seed_standard()
    agency = make_agency()
    person = make_person(agency)
    login(make_user(Role.ADMIN, person=person))
    for path in (
        "/people",
        f"/people/{person.public_id}",
        f"/reports/agencies/{agency.code}/people",
        "/learn/transcript",
        "/learn/transcript.pdf",
        "/account/sessions",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    # Pages of no one's personal data keep the default.
    assert "no-store" not in client.get("/courses").headers.get("Cache-Control", "")
