"""The HR person page: profile, requirements against attainment, courses, assignments, evidence, transcript."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.dates import current_fiscal_year, today
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from competencies.models import Alignment, Framework
from competencies.services.evidence import record_self_assessment
from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus
from lrs.clients import NewClient
from tests.support.competencies import ACTIVITY, competency
from tests.support.lrs import Xapi, statement

Login = Callable[[User], FlaskClient]


def test_an_officer_sees_a_persons_profile_gaps_courses_evidence_and_transcript(
    make_course: Callable[..., Course],
    standard: Framework,
    provider: NewClient,
    xapi: Xapi,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    ministry = make_agency("51")
    person = make_person(make_agency(parent=make_agency("51001", parent=ministry)), line="K-COMP", level="K2")
    add_identifier(person, IdentifierKind.MBOX, "mailto:record.person@example.go.th")
    assigned = make_course("AS101")
    own = make_course("OW101", aligned_to="DL-01")
    db.session.add_all(
        [
            Enrolment(
                person_id=person.id,
                course_id=assigned.id,
                source=EnrolmentSource.ASSIGNED,
                fiscal_year=current_fiscal_year(),
                due_on=today() - timedelta(days=3),
                progress=40,
                status=EnrolmentStatus.IN_PROGRESS,
            ),
            Enrolment(person_id=person.id, course_id=own.id, source=EnrolmentSource.SELF, progress=0),
        ]
    )
    target = competency(standard, "DG-02")
    db.session.add(
        Alignment(activity_id=ACTIVITY, competency_id=target.id, level=3, owner_client_id=provider.client.id)
    )
    db.session.flush()
    record_self_assessment(person.id, competency(standard, "DL-01").id, 2)
    body = statement(
        actor={"objectType": "Agent", "mbox": "mailto:record.person@example.go.th"},
        object={"objectType": "Activity", "id": ACTIVITY, "definition": {"name": {"th-TH": "กฎหมาย PDPA ภายนอก"}}},
    )
    assert xapi("POST", "/xapi/statements", json_body=body).status_code == 200

    client = login(make_user(Role.HR_OFFICER, agencies=(ministry,)))
    page = client.get(f"/people/{person.public_id}/record")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="gap-chart-data"' in text and 'id="requirements"' in text
    assert assigned.title_en in text or assigned.title_th in text
    assert 'class="overdue"' in text  # the assignment is past its due date
    assert "Provider" in text  # the evidence names the client that sent the statement
    assert "กฎหมาย PDPA ภายนอก" in text  # the transcript lists the provider's completion
    assert "DG-02" in text and "DL-01" in text  # both pieces of evidence


def test_the_person_page_is_404_outside_the_officers_scope(
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    mine, other = make_agency("52"), make_agency("53")
    stranger = make_person(make_agency(parent=other))
    client = login(make_user(Role.HR_OFFICER, agencies=(mine,)))
    assert client.get(f"/people/{stranger.public_id}/record").status_code == 404
    # Within scope the same officer sees a person of their own agency.
    assert client.get(f"/people/{make_person(mine).public_id}/record").status_code == 200


def test_learners_may_not_open_a_persons_record(
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    someone = make_person(make_agency("54"))
    learner = login(make_user(Role.LEARNER))
    assert learner.get(f"/people/{someone.public_id}/record").status_code == 403


def test_the_transcript_shows_this_fiscal_year_and_the_one_before_unless_every_year_is_asked_for(
    standard: Framework,
    xapi: Xapi,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    ministry = make_agency("52")
    person = make_person(make_agency(parent=ministry))
    add_identifier(person, IdentifierKind.MBOX, "mailto:years.person@example.go.th")
    actor = {"objectType": "Agent", "mbox": "mailto:years.person@example.go.th"}
    for name, days_ago in (("วิชาปีนี้", 1), ("วิชาสามปีก่อน", 3 * 366)):
        body = statement(
            actor=actor,
            timestamp=(datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
            object={
                "objectType": "Activity",
                "id": f"https://mooc.example/{days_ago}",
                "definition": {"name": {"th-TH": name}},
            },
        )
        assert xapi("POST", "/xapi/statements", json_body=body).status_code == 200

    client = login(make_user(Role.HR_OFFICER, agencies=(ministry,)))
    recent = client.get(f"/people/{person.public_id}/record").get_data(as_text=True)
    assert "วิชาปีนี้" in recent and "วิชาสามปีก่อน" not in recent
    assert "years=all" in recent  # the link to every year: an older year was left out
    every = client.get(f"/people/{person.public_id}/record?years=all").get_data(as_text=True)
    assert "วิชาปีนี้" in every and "วิชาสามปีก่อน" in every
    assert "years=all" not in every
