"""The trust model and the course projections (README, Trust model): only the platform completes our courses;
the rebuild applies the same rules as the live projections."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, IdentifierKind, Person
from academy.org.services import add_identifier
from competencies.models import Alignment, Attainment, Evidence
from competencies.services.evidence import rebuild_projections
from courses.models import Course, Enrolment, EnrolmentStatus
from courses.services.catalogue import course_items
from courses.services.enrolment import enrol
from courses.services.player import launch_course, start_attempt, submit_attempt, view_lesson
from courses.services.progress import rebuild_course_progress
from lrs.clients import create_client, ignored_counts
from lrs.models import IgnoredStatement, LrsClient, Statement
from tests.support.courses import correct_answers
from tests.support.lrs import Xapi, basic, statement

ADL = "http://adlnet.gov/expapi/verbs/"
PROVIDER_COURSE = "https://provider.example/courses/cloud-first"


def completed(mbox: str, activity: str) -> dict[str, Any]:
    return statement(actor={"objectType": "Agent", "mbox": f"mailto:{mbox}"}, object={"id": activity})


def voiding(target: str) -> dict[str, Any]:
    return statement(verb={"id": ADL + "voided"}, object={"objectType": "StatementRef", "id": target})


def reasons_of(statement_id: str) -> set[str]:
    return set(
        db.session.scalars(
            select(IgnoredStatement.reason).where(IgnoredStatement.statement_id == uuid.UUID(statement_id))
        )
    )


def test_a_providers_forged_completion_of_our_course_is_stored_but_changes_nothing(
    xapi: Xapi,
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    course = make_course()  # aligned with DG-01 at level 2: the platform's alignment
    person = make_person(make_agency("41"))  # a person of another ministry than the provider's
    add_identifier(person, IdentifierKind.MBOX, "mailto:forged@example.go.th")
    response = xapi("POST", "/xapi/statements", json_body=completed("forged@example.go.th", course.activity_iri))
    assert response.status_code == 200
    [statement_id] = response.get_json()
    # Stored (LRS semantics) and readable ...
    assert xapi("GET", f"/xapi/statements?statementId={statement_id}").status_code == 200
    # ... but no enrolment, no evidence, no attainment.
    db.session.expire_all()
    assert db.session.scalar(select(Enrolment).where(Enrolment.person_id == person.id)) is None
    assert db.session.scalars(select(Evidence).where(Evidence.person_id == person.id)).all() == []
    assert db.session.scalar(select(Attainment).where(Attainment.person_id == person.id)) is None
    assert reasons_of(statement_id) == {"platform_course", "not_granted"}

    # Visible: counted for the client, and a status on the statement's page for admins.
    stored_by = db.session.scalar(select(Statement.client_id).where(Statement.id == uuid.UUID(statement_id)))
    assert ignored_counts()[stored_by] == 1  # type: ignore[index]
    admin = make_user(Role.ADMIN)
    admin.preferred_locale = "en"
    db.session.flush()
    login(admin)
    page = client.get(f"/admin/statements?id={statement_id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"  # it names the people the statement gave evidence of
    body = page.get_data(as_text=True)
    assert "ignored: provider not granted this alignment" in body
    assert "ignored: a provider's statement about one of the platform's courses changes no enrolment" in body
    key = db.session.scalar(select(LrsClient.key).where(LrsClient.id == stored_by))
    clients_page = client.get("/admin/lrs-clients").get_data(as_text=True)
    assert f'<td data-ignored="{key}"><a href="/admin/lrs-clients/{key}/ignored">1</a></td>' in clients_page
    ignored_page = client.get(f"/admin/lrs-clients/{key}/ignored").get_data(as_text=True)
    assert f"/admin/statements?id={statement_id}" in ignored_page
    # The reason in the admin's words (and language), as on the statement's page, not its code.
    assert "ignored: provider not granted this alignment" in ignored_page
    assert "<code>not_granted</code>" not in ignored_page


def test_a_providers_statements_with_our_enrolments_registration_change_nothing(
    xapi: Xapi,
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    course = make_course()
    enrolment = enrol(make_person(make_agency()), course)
    lesson = next(item for item in course_items(course) if item.lesson)
    forged = statement(
        verb={"id": ADL + "experienced"},
        object={"id": lesson.iri},
        context={"registration": str(enrolment.registration)},
    )
    assert xapi("POST", "/xapi/statements", json_body=forged).status_code == 200
    db.session.expire_all()
    assert (enrolment.status, enrolment.progress) == (EnrolmentStatus.ENROLLED, 0)


def snapshot() -> dict[str, object]:
    """Everything the projections believe: evidence that stands, attainment, enrolments, ignored notes."""
    db.session.expire_all()
    return {
        "evidence": sorted(
            db.session.execute(
                select(Evidence.person_id, Evidence.competency_id, Evidence.level, Evidence.statement_id).where(
                    Evidence.withdrawn_at.is_(None)
                )
            ).all()
        ),
        "attainment": sorted(
            db.session.execute(select(Attainment.person_id, Attainment.competency_id, Attainment.level)).all()
        ),
        "enrolments": sorted(
            (e.person_id, e.course_id, e.status.value, e.progress, e.completed_at)
            for e in db.session.scalars(select(Enrolment))
        ),
        "ignored": sorted(db.session.execute(select(IgnoredStatement.statement_id, IgnoredStatement.reason)).all()),
    }


def test_the_rebuild_applies_the_same_rules_as_the_live_projections(
    xapi: Xapi,
    make_course: Callable[..., Course],
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    course = make_course()
    ministry, other = make_agency("51"), make_agency("52")
    learner, insider, outsider = make_person(ministry), make_person(ministry), make_person(other)
    for person, mbox in ((learner, "learner"), (insider, "insider"), (outsider, "outsider")):
        add_identifier(person, IdentifierKind.MBOX, f"mailto:{mbox}@example.go.th")
    granted = create_client("Granted provider", ["statements/write"])
    scoped = create_client("Ministry 51 provider", ["statements/write"], agency_code="51")
    stranger = create_client("Provider with no grants", ["statements/write"])
    from competencies.services.frameworks import active_standard
    from tests.support.competencies import competency

    standard = active_standard()
    assert standard is not None
    for owner, code in ((granted, "DT-01"), (scoped, "DS-01")):
        db.session.add(
            Alignment(
                activity_id=f"{PROVIDER_COURSE}/{code}",
                competency_id=competency(standard, code).id,
                level=2,
                owner_client_id=owner.client.id,
            )
        )
    db.session.flush()

    # The player: the learner completes our course.
    enrolment = enrol(learner, course)
    launch_course(enrolment, "th")
    for item in course_items(course):
        if item.lesson:
            view_lesson(enrolment, item.lesson, "th")
        elif item.quiz:
            submit_attempt(start_attempt(enrolment, item.quiz), correct_answers(item.quiz), "th")
    # Providers: granted, not granted, inside and outside their agency, a forgery, voids.
    send = {c: basic(c.client.key, c.secret) for c in (granted, scoped, stranger)}
    posts = [
        (granted, completed("insider@example.go.th", f"{PROVIDER_COURSE}/DT-01")),
        (granted, completed("outsider@example.go.th", f"{PROVIDER_COURSE}/DT-01")),
        (stranger, completed("insider@example.go.th", f"{PROVIDER_COURSE}/DT-01")),
        (scoped, completed("insider@example.go.th", f"{PROVIDER_COURSE}/DS-01")),
        (scoped, completed("outsider@example.go.th", f"{PROVIDER_COURSE}/DS-01")),
        (stranger, completed("outsider@example.go.th", course.activity_iri)),
    ]
    ids = {}
    for index, (sender, body) in enumerate(posts):
        response = xapi("POST", "/xapi/statements", json_body=body, auth=send[sender])
        assert response.status_code == 200, response.get_data(as_text=True)
        [ids[index]] = response.get_json()
    assert xapi("POST", "/xapi/statements", json_body=voiding(ids[1]), auth=send[granted]).status_code == 200
    assert xapi("POST", "/xapi/statements", json_body=voiding(ids[0]), auth=send[stranger]).status_code == 403

    live = snapshot()
    people_with_evidence = {person for person, *_rest in live["evidence"]}  # type: ignore[attr-defined]
    assert people_with_evidence == {learner.id, insider.id}
    assert len(live["evidence"]) == 3  # type: ignore[arg-type]  # the course, DT-01 and DS-01
    assert {reason for _id, reason in live["ignored"]} == {  # type: ignore[attr-defined]
        "not_granted",
        "outside_agency",
        "platform_course",
    }
    assert [e[2] for e in live["enrolments"]] == ["completed"]  # type: ignore[index]

    rebuild_projections()
    rebuild_course_progress()
    assert snapshot() == live
