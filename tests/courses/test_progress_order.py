"""Enrolment progress does not depend on the order statements arrive in: the live rows equal a replay's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from academy.db import db
from academy.org.models import Agency, Person
from courses.models import Course, Enrolment, EnrolmentStatus, ItemProgress
from courses.services.activities import lesson_iri, quiz_iri
from courses.services.catalogue import course_items
from courses.services.enrolment import enrol
from lrs import rebuild_and_compare
from lrs.statements import store_statements
from lrs.versions import XapiVersion
from tests.support.app import BASE_URL
from tests.support.lrs import statement

ADL = "http://adlnet.gov/expapi/verbs/"
AUTHORITY = {"objectType": "Agent", "mbox": "mailto:provider@example.go.th"}


def test_late_statements_give_the_earliest_moments_as_a_replay_does(
    make_course: Callable[..., Course], make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    course = make_course()
    person = make_person(make_agency())
    enrolment = enrol(person, course)
    items = course_items(course)
    lesson, quiz = lesson_iri(items[0].lesson), quiz_iri(items[2].quiz)
    actor = {"objectType": "Agent", "account": {"homePage": BASE_URL, "name": str(person.public_id)}}

    def send(verb: str, activity: str, timestamp: str, **extra: Any) -> None:
        store_statements(
            statement(
                actor=actor,
                verb={"id": ADL + verb},
                object={"objectType": "Activity", "id": activity},
                context={"registration": str(enrolment.registration)},
                timestamp=timestamp,
                **extra,
            ),
            version=XapiVersion.V1,
            authority=AUTHORITY,
        )

    # Each pair arrives later moment first, as from a provider that sends what it has in any order.
    send("experienced", lesson, "2026-03-02T09:00:00Z")
    send("experienced", lesson, "2026-03-01T09:00:00Z")
    send("passed", quiz, "2026-03-04T09:00:00Z", result={"success": True, "score": {"scaled": 0.8}})
    send("passed", quiz, "2026-03-03T09:00:00Z", result={"success": True, "score": {"scaled": 0.9}})
    send("completed", course.activity_iri, "2026-03-06T09:00:00Z")
    send("completed", course.activity_iri, "2026-03-05T09:00:00Z")
    db.session.expire_all()

    viewed = db.session.get(ItemProgress, (enrolment.id, lesson))
    passed = db.session.get(ItemProgress, (enrolment.id, quiz))
    assert viewed is not None and viewed.viewed_at.isoformat().startswith("2026-03-01T09:00")
    assert passed is not None and passed.passed_at.isoformat().startswith("2026-03-03T09:00")
    assert passed.best_score == 90
    assert enrolment.status is EnrolmentStatus.COMPLETED
    assert enrolment.completed_at.isoformat().startswith("2026-03-05T09:00")
    assert {name: diff for name, diff in rebuild_and_compare().items() if diff != (set(), set())} == {}


def test_a_batchs_enrolments_are_written_in_one_update_whatever_each_changed(
    make_course: Callable[..., Course], make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    from sqlalchemy import event

    course = make_course()
    agency = make_agency()
    launching, completing = (enrol(make_person(agency), course) for _ in range(2))

    def about(enrolment: Enrolment, verb: str) -> dict[str, Any]:
        actor = {"objectType": "Agent", "account": {"homePage": BASE_URL, "name": str(enrolment.person.public_id)}}
        return statement(
            actor=actor,
            verb={"id": ADL + verb},
            object={"objectType": "Activity", "id": course.activity_iri},
            context={"registration": str(enrolment.registration)},
        )

    updates: list[str] = []

    def note(_conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        if sql.lstrip().upper().startswith("UPDATE ENROLMENTS"):
            updates.append(sql)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        # One only starts (its status changes), the other completes (status, progress and completion moment).
        store_statements(
            [about(launching, "launched"), about(completing, "completed")],
            version=XapiVersion.V1,
            authority=AUTHORITY,
        )
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    db.session.expire_all()
    assert launching.status is EnrolmentStatus.IN_PROGRESS and launching.progress == 0
    assert completing.status is EnrolmentStatus.COMPLETED and completing.progress == 100
    assert len(updates) == 1
