"""A learner's cmi5 registration page: admins and HR officers (of the learner's agencies) waive an
AU with one of the spec's reasons and abandon an open session, both audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from courses.cmi5.models import LaunchSession
from courses.models import Course, Enrolment
from tests.courses.cmi5.au import Au
from tests.support.app import csrf_token
from tests.support.cmi5 import au, aus_of, block, structure, verbs_of

TWO_UNITS = structure(block("block/1", au("au/1", attrs='moveOn="Passed"'), au("au/2", attrs='moveOn="Completed"')))


@pytest.fixture
def enrolment(make_cmi5: Callable[..., Course], enrol: Callable[..., Enrolment]) -> Enrolment:
    return enrol(make_cmi5(TWO_UNITS))


def page_of(enrolment: Enrolment) -> str:
    return f"/people/{enrolment.person.public_id}/cmi5/{enrolment.course.code}"


def waive(client: FlaskClient, enrolment: Enrolment, unit: int, reason: str, token: str | None = "page") -> Any:
    data = {"reason": reason}
    if token == "page":
        token = csrf_token(client, page_of(enrolment))
    if token:
        data["csrf_token"] = token
    return client.post(f"{page_of(enrolment)}/aus/{aus_of(enrolment.course)[unit].key}/waive", data=data)


def test_an_admin_waives_a_unit(
    enrolment: Enrolment, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN))
    person = client.get(f"/people/{enrolment.person.public_id}").get_data(as_text=True)
    assert f"/people/{enrolment.person.public_id}/cmi5" in person
    listing = client.get(f"/people/{enrolment.person.public_id}/cmi5").get_data(as_text=True)
    assert page_of(enrolment) in listing
    page = client.get(page_of(enrolment)).get_data(as_text=True)
    assert page.count('data-status="not_started"') == 2 and page.count('name="reason"') == 2
    assert '<option value="Equivalent Outside Activity">' in page

    response = waive(client, enrolment, 0, "Tested Out")
    assert response.status_code == 303 and response.location.endswith(page_of(enrolment))
    assert verbs_of(enrolment)[-1] == "waived"
    waived = next(s for s in statements(enrolment) if s["verb"]["id"].endswith("/waived"))
    assert waived["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/reason"] == "Tested Out"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cmi5.waive")).one()
    assert entry.target_id == str(enrolment.registration)
    assert entry.details["reason"] == "Tested Out" and entry.details["au"] == aus_of(enrolment.course)[0].publisher_id
    page = client.get(page_of(enrolment)).get_data(as_text=True)
    assert 'data-status="waived"' in page and page.count('name="reason"') == 1
    # Waiving it again is a conflict, not a second statement.
    assert waive(client, enrolment, 0, "Administrative").status_code == 409
    assert verbs_of(enrolment).count("waived") == 1


def statements(enrolment: Enrolment) -> list[dict[str, Any]]:
    from tests.support.cmi5 import statements_of

    return statements_of(enrolment)


def test_a_waiver_needs_a_reason_of_the_spec_and_the_form_token(
    enrolment: Enrolment, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN))
    assert waive(client, enrolment, 0, "Because").status_code == 400
    assert waive(client, enrolment, 0, "").status_code == 400
    assert waive(client, enrolment, 0, "Administrative", token=None).status_code == 400
    assert "waived" not in verbs_of(enrolment)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cmi5.waive")).all() == []


def test_hr_officers_of_the_learner_s_agency_only(
    enrolment: Enrolment,
    make_user: Callable[..., User],
    make_agency: Callable[..., Any],
    login: Callable[[User], FlaskClient],
) -> None:
    other = make_agency()
    client = login(make_user(Role.HR_OFFICER, agencies=(other,)))
    assert client.get(page_of(enrolment)).status_code == 404
    assert client.get(f"/people/{enrolment.person.public_id}/cmi5").status_code == 404
    token = csrf_token(client, "/people")
    assert waive(client, enrolment, 0, "Administrative", token=token).status_code == 404
    assert "waived" not in verbs_of(enrolment)


def test_an_hr_officer_of_the_agency_waives(
    enrolment: Enrolment, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.HR_OFFICER, agencies=(enrolment.person.agency,)))
    assert waive(client, enrolment, 1, "Equivalent AU").status_code == 303
    assert verbs_of(enrolment)[-1] == "waived"


def test_learners_may_not(enrolment: Enrolment, learner: User, login: Callable[[User], FlaskClient]) -> None:
    client = login(learner)
    assert client.get(page_of(enrolment)).status_code == 403
    token = csrf_token(client, f"/courses/{enrolment.course.code}/cmi5")
    assert waive(client, enrolment, 0, "Administrative", token=token).status_code == 403


def test_an_admin_abandons_the_open_session(
    enrolment: Enrolment,
    launch: Callable[..., Au],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    player = launch(enrolment)
    player.start()
    session = db.session.scalars(select(LaunchSession).where(LaunchSession.enrolment_id == enrolment.id)).one()
    client = login(make_user(Role.ADMIN))
    page = client.get(page_of(enrolment)).get_data(as_text=True)
    assert 'id="open-session"' in page
    url = f"{page_of(enrolment)}/sessions/{session.key}/abandon"
    assert client.post(url).status_code == 400  # no CSRF token
    response = client.post(url, data={"csrf_token": csrf_token(client, page_of(enrolment))})
    assert response.status_code == 303
    db.session.refresh(session)
    assert verbs_of(enrolment)[-1] == "abandoned" and not session.is_open
    player.expect(player.send(player.allowed()), 401)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cmi5.abandon")).one().details[
        "session"
    ] == str(session.key)
    assert client.post(url, data={"csrf_token": csrf_token(client, page_of(enrolment))}).status_code == 409
    assert 'id="open-session"' not in client.get(page_of(enrolment)).get_data(as_text=True)


def test_the_registration_pages_are_not_stored(
    enrolment: Enrolment, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN))
    # A person's registrations are personal data, like the person's own page: no cache keeps them.
    for path in (f"/people/{enrolment.person.public_id}/cmi5", page_of(enrolment)):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
