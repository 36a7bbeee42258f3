"""Enrolment: a learner enrols themself; an HR officer assigns a course for a fiscal year with a due date."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from academy.auth.models import User
from academy.db import db, insert_ignoring_duplicates
from academy.org.models import Person
from courses.cmi5.services.launch import start_registration
from courses.models import Course, CourseKind, CourseStatus, Enrolment, EnrolmentSource, EnrolmentStatus, ItemProgress


class EnrolmentError(ValueError):
    """An enrolment that cannot be made; the message says why."""


def enrolment_of(person: Person, course: Course) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(Enrolment.person_id == person.id, Enrolment.course_id == course.id)
    )


def enrol(person: Person, course: Course) -> Enrolment:
    """Enrol the person in a published course (again: the existing enrolment)."""
    existing = enrolment_of(person, course)
    if existing is not None:
        return existing
    if course.status is not CourseStatus.PUBLISHED:
        raise EnrolmentError("only published courses take enrolments")
    enrolment = Enrolment(person_id=person.id, course_id=course.id, source=EnrolmentSource.SELF)
    db.session.add(enrolment)
    db.session.flush()
    _start(course, [enrolment])
    return enrolment


def _start(course: Course, enrolments: Sequence[Enrolment]) -> None:
    """A cmi5 course's registration starts with the enrolment (cmi5 9.6.1: NotApplicable AUs are satisfied)."""
    if course.kind is CourseKind.CMI5:
        for enrolment in enrolments:
            start_registration(enrolment)


def assign_course(course: Course, person_ids: Sequence[int], fiscal_year: int, due_on: date, assigned_by: User) -> int:
    """Assign the course to people for a fiscal year; people already enrolled keep their enrolment
    and get the assignment's year and due date unless they completed it. Return how many were assigned."""
    if course.status is not CourseStatus.PUBLISHED:
        raise EnrolmentError("only published courses can be assigned")
    if not person_ids:
        return 0
    ids = sorted(set(person_ids))
    rows = [
        {
            "person_id": pid,
            "course_id": course.id,
            "source": EnrolmentSource.ASSIGNED.value,
            "assigned_by_id": assigned_by.id,
            "fiscal_year": fiscal_year,
            "due_on": due_on,
            "status": EnrolmentStatus.ENROLLED.value,
            "progress": 0,
            "registration": uuid.uuid4(),  # a bulk insert skips the model's default
        }
        for pid in ids
    ]
    for first in range(0, len(rows), 1000):
        db.session.execute(insert_ignoring_duplicates(Enrolment).values(rows[first : first + 1000]))
    existing = db.session.scalars(
        select(Enrolment).where(
            Enrolment.course_id == course.id,
            Enrolment.person_id.in_(ids),
            Enrolment.status != EnrolmentStatus.COMPLETED,
        )
    ).all()
    for enrolment in existing:
        enrolment.fiscal_year, enrolment.due_on = fiscal_year, due_on
        if enrolment.source is EnrolmentSource.SELF:
            enrolment.source, enrolment.assigned_by_id = EnrolmentSource.ASSIGNED, assigned_by.id
    db.session.flush()
    _start(course, existing)
    return len(ids)


def enrolments_of(person: Person) -> list[Enrolment]:
    """The person's enrolments: unfinished first (by due date), then completed (latest first)."""
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.person_id == person.id).options(joinedload(Enrolment.course))
    ).all()
    return sorted(
        enrolments,
        key=lambda e: (
            e.status is EnrolmentStatus.COMPLETED,
            e.due_on or date.max,
            -(e.completed_at.timestamp() if e.completed_at else 0),
            e.id,
        ),
    )


#: How near a due date is "due soon" on the learner's pages.
DUE_SOON = timedelta(days=7)


def last_touched(enrolments: Sequence[Enrolment]) -> Enrolment | None:
    """The unfinished enrolment the learner worked on last (an item viewed, passed or failed), if any."""
    unfinished = {e.id: e for e in enrolments if e.status is EnrolmentStatus.IN_PROGRESS}
    if not unfinished:
        return None
    latest = func.max(func.coalesce(ItemProgress.viewed_at, ItemProgress.passed_at))
    row = db.session.execute(
        select(ItemProgress.enrolment_id, latest)
        .where(ItemProgress.enrolment_id.in_(unfinished))
        .group_by(ItemProgress.enrolment_id)
        .order_by(latest.desc().nulls_last(), ItemProgress.enrolment_id.desc())
        .limit(1)
    ).first()
    if row is not None:
        return unfinished[row[0]]
    return max(unfinished.values(), key=lambda e: (e.enrolled_at, e.id))


def assignments_due(person_ids: Sequence[int], fiscal_year: int) -> dict[int, date | None]:
    """Of these people, those with an unfinished course assigned for the fiscal year: the earliest due date."""
    if not person_ids:
        return {}
    rows = db.session.execute(
        select(Enrolment.person_id, Enrolment.due_on).where(
            Enrolment.person_id.in_(list(person_ids)),
            Enrolment.source == EnrolmentSource.ASSIGNED,
            Enrolment.fiscal_year == fiscal_year,
            Enrolment.status != EnrolmentStatus.COMPLETED,
        )
    ).all()
    due: dict[int, date | None] = {}
    for person_id, due_on in rows:
        known = due.get(person_id)
        due[person_id] = due_on if known is None or (due_on is not None and due_on < known) else known
    return due
