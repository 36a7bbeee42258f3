"""The HR person page's long lists: the first rows with their counts, and pages of their own within the same scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.dates import current_fiscal_year, today
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from competencies.models import Evidence, EvidenceSource, Framework
from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus
from courses.services import person_record
from tests.support.app import PASSWORD
from tests.support.competencies import competency
from tests.support.lrs import Xapi, statement
from tests.support.second_factor import sign_in

Login = Callable[[User], FlaskClient]
SECTIONS = ("assignments", "courses", "evidence", "transcript")


@pytest.fixture
def busy_person(
    make_course: Callable[..., Course],
    standard: Framework,
    xapi: Xapi,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> Person:
    """A person with 25 assignments, 23 other unfinished courses, 26 pieces of evidence, 24 providers' completions."""
    person = make_person(make_agency(parent=make_agency("61")))
    add_identifier(person, IdentifierKind.MBOX, "mailto:busy.person@example.go.th")
    for number in range(48):
        course = make_course(f"BZ{number:03d}")
        assigned = number < 25
        db.session.add(
            Enrolment(
                person_id=person.id,
                course_id=course.id,
                source=EnrolmentSource.ASSIGNED if assigned else EnrolmentSource.SELF,
                fiscal_year=current_fiscal_year() if assigned else None,
                due_on=today() + timedelta(days=number) if assigned else None,
                progress=number,
                status=EnrolmentStatus.IN_PROGRESS,
            )
        )
    target = competency(standard, "DL-01")
    now = datetime.now(UTC)
    db.session.add_all(
        Evidence(
            person_id=person.id,
            competency_id=target.id,
            level=1 + number % 3,
            source=EvidenceSource.SELF_ASSESSMENT,
            achieved_at=now - timedelta(hours=number),
        )
        for number in range(26)
    )
    db.session.flush()
    actor = {"objectType": "Agent", "mbox": "mailto:busy.person@example.go.th"}
    batch = [
        statement(
            actor=actor,
            timestamp=(now - timedelta(hours=number)).isoformat(),
            object={
                "objectType": "Activity",
                "id": f"https://mooc.example/busy/{number}",
                "definition": {"name": {"th-TH": f"วิชาภายนอกที่ {number:02d}"}},
            },
            result={"duration": "PT2H"},
        )
        for number in range(24)
    ]
    assert xapi("POST", "/xapi/statements", json_body=batch).status_code == 200
    return person


def _officer(make_user: Callable[..., User], person: Person, locale: str = "en") -> User:
    """An HR officer of the person's ministry, reading in ``locale``."""
    officer = make_user(Role.HR_OFFICER, agencies=(person.agency.parent,))
    officer.preferred_locale = locale
    db.session.flush()
    return officer


def test_the_page_shows_the_first_rows_of_each_long_list_with_how_many_and_links_to_the_rest(
    busy_person: Person, make_user: Callable[..., User], login: Login
) -> None:
    client = login(_officer(make_user, busy_person))
    text = client.get(f"/people/{busy_person.public_id}/record").get_data(as_text=True)
    base = f"/people/{busy_person.public_id}/record"
    assert "The first 20 of 25." in text and f'href="{base}/assignments"' in text
    assert "The first 20 of 23." in text and f'href="{base}/courses"' in text
    assert "The latest 20 of 26." in text and f'href="{base}/evidence"' in text
    assert "The latest 20 of 24." in text and f'href="{base}/transcript"' in text
    assert text.count("วิชาภายนอกที่") == 20  # the newest 20 completions, not the oldest
    assert "วิชาภายนอกที่ 00" in text and "วิชาภายนอกที่ 23" not in text
    assert "24 learnings" in text  # the year's heading counts every entry of the year
    # The soonest due assignments come first: 20 of them, the last five are on the list's page.
    assert text.count('class="overdue"') == 0 and text.count("<progress") == 40


def test_each_list_has_pages_of_its_own(
    busy_person: Person, make_user: Callable[..., User], login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(person_record, "PER_PAGE", 10)
    monkeypatch.setattr("courses.views.person.PER_PAGE", 10)
    client = login(_officer(make_user, busy_person))
    base = f"/people/{busy_person.public_id}/record"
    progress: list[int] = []
    for page in (1, 2, 3):
        text = client.get(f"{base}/assignments?page={page}").get_data(as_text=True)
        assert f"Page {page} of 3" in text
        progress += [int(value) for value in re.findall(r'<progress max="100" value="(\d+)"', text)]
    assert progress == list(range(25))  # by due date, every assignment once across the pages
    assert client.get(f"{base}/assignments?page=4").status_code == 404
    assert client.get(f"{base}/assignments?page=x").status_code == 400

    evidence = [client.get(f"{base}/evidence?page={page}").get_data(as_text=True) for page in (1, 2, 3)]
    assert [text.count("Self-assessment") for text in evidence] == [10, 10, 6]

    titles: list[str] = []
    for page in (1, 2, 3):
        text = client.get(f"{base}/transcript?page={page}").get_data(as_text=True)
        titles += re.findall(r"วิชาภายนอกที่ (\d\d)", text)
        # Each page's year: every entry of the year counted, and its hours added up (2 hours each).
        assert "24 learnings" in text and "48.0 hours" in text
    assert titles == [f"{number:02d}" for number in range(24)]
    courses = client.get(f"{base}/courses?page=3").get_data(as_text=True)
    assert courses.count("<progress") == 3


def test_the_list_pages_are_in_thai(busy_person: Person, make_user: Callable[..., User], login: Login) -> None:
    client = login(_officer(make_user, busy_person, "th"))
    text = client.get(f"/people/{busy_person.public_id}/record").get_data(as_text=True)
    assert "20 รายการแรกจากทั้งหมด 25 รายการ" in text and "แสดงทั้งหมด 25 รายการ" in text
    assert "24 รายการ" in text  # the year's count
    listed = client.get(f"/people/{busy_person.public_id}/record/transcript").get_data(as_text=True)
    assert "48.0 ชั่วโมง" in listed


@pytest.mark.parametrize("section", SECTIONS)
def test_another_agencys_officer_may_not_open_a_list_and_a_learner_is_refused(
    section: str,
    app: Flask,
    busy_person: Person,
    make_agency: Callable[..., Agency],
    make_user: Callable[..., User],
) -> None:
    path = f"/people/{busy_person.public_id}/record/{section}"

    def status(user: User) -> int:
        return sign_in(app.test_client(), user, PASSWORD).get(path).status_code

    assert status(make_user(Role.HR_OFFICER, agencies=(make_agency("62"),))) == 404
    assert status(make_user(Role.LEARNER)) == 403
    assert status(_officer(make_user, busy_person)) == 200


def test_an_unknown_list_is_not_found(busy_person: Person, make_user: Callable[..., User], login: Login) -> None:
    client = login(_officer(make_user, busy_person))
    assert client.get(f"/people/{busy_person.public_id}/record/statements").status_code == 404
