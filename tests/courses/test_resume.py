"""The dashboard's "continue where you left off": the unfinished enrolment the learner touched last."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from academy.db import db
from academy.org.models import Agency, Person
from courses.models import Course, EnrolmentStatus, ItemProgress
from courses.services.activities import lesson_iri
from courses.services.catalogue import course_items
from courses.services.enrolment import enrol, enrolments_of, last_touched


def test_the_course_touched_last_is_resumed_and_finished_ones_never(
    make_course: Callable[..., Course], make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> None:
    person = make_person(make_agency())
    first, second, done = make_course("DG101"), make_course("DG102"), make_course("DG103")
    enrolments = {course.code: enrol(person, course) for course in (first, second, done)}
    assert last_touched(enrolments_of(person)) is None  # nothing started yet

    def view(code: str, course: Course, day: int) -> None:
        enrolment = enrolments[code]
        enrolment.status = EnrolmentStatus.IN_PROGRESS
        iri = lesson_iri(course_items(course)[0].lesson)
        db.session.add(
            ItemProgress(enrolment_id=enrolment.id, activity_iri=iri, viewed_at=datetime(2026, 12, day, tzinfo=UTC))
        )
        db.session.flush()

    view("DG101", first, 3)
    view("DG102", second, 2)
    view("DG103", done, 5)
    enrolments["DG103"].status = EnrolmentStatus.COMPLETED
    db.session.flush()
    assert last_touched(enrolments_of(person)) is enrolments["DG101"]  # DG103 is newer but finished

    view_again = course_items(second)[1].lesson
    db.session.add(
        ItemProgress(
            enrolment_id=enrolments["DG102"].id,
            activity_iri=lesson_iri(view_again),
            viewed_at=datetime(2026, 12, 4, tzinfo=UTC),
        )
    )
    db.session.flush()
    assert last_touched(enrolments_of(person)) is enrolments["DG102"]
