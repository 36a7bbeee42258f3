"""Who reports to whom: own supervisor, unit head, the head of the unit above; the team."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from academy.db import db
from academy.org.models import Person
from academy.org.supervision import (
    SupervisionError,
    effective_supervisor,
    has_reports,
    in_team,
    set_supervisor,
    team_query,
)
from tests.competencies.idp.conftest import Office
from tests.support.app import csrf_token


def team(lead: Person, whole_unit: bool = False) -> set[int]:
    return {p.id for p in db.session.scalars(team_query(lead, whole_unit))}


def test_people_without_a_supervisor_report_to_their_units_head(office: Office) -> None:
    assert effective_supervisor(office.official) is office.head
    assert effective_supervisor(office.head) is office.director  # a head: the unit above's head
    assert effective_supervisor(office.director) is None
    assert team(office.head) == {office.official.id, office.colleague.id}
    assert team(office.director) == {office.head.id}
    assert team(office.director, whole_unit=True) == {office.head.id, office.official.id, office.colleague.id}
    assert has_reports(office.head)
    assert not has_reports(office.official)


def test_an_own_supervisor_wins_over_the_unit_head(office: Office) -> None:
    set_supervisor(office.colleague, office.official)
    assert effective_supervisor(office.colleague) is office.official
    assert team(office.head) == {office.official.id}
    assert team(office.official) == {office.colleague.id}
    assert has_reports(office.official)
    # The whole unit still holds them for the head.
    assert in_team(office.head, office.colleague)
    assert not in_team(office.head, office.colleague, whole_unit=False)
    assert not in_team(office.stranger, office.official)


def test_no_one_supervises_themself_even_through_others(office: Office) -> None:
    set_supervisor(office.colleague, office.official)
    with pytest.raises(SupervisionError):
        set_supervisor(office.official, office.colleague)
    with pytest.raises(SupervisionError):
        set_supervisor(office.official, office.official)


def test_hr_sets_a_supervisor_on_the_person_page(
    office: Office, sign_in: Callable[..., FlaskClient], client: FlaskClient
) -> None:
    sign_in(office.hr)
    url = f"/people/{office.colleague.public_id}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/supervisor", data={"csrf_token": token, "supervisor_employee_no": office.official.employee_no}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert effective_supervisor(db.session.get(Person, office.colleague.id)).id == office.official.id  # type: ignore[union-attr]
    # HR of another agency does not even see the person.
    sign_in(office.other_hr)
    token = csrf_token(client, "/people")
    response = client.post(f"{url}/supervisor", data={"csrf_token": token, "supervisor_employee_no": ""})
    assert response.status_code == 404
