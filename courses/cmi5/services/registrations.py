"""A learner's cmi5 registrations as admins, HR officers and the API see them: each AU's status,
the open session, and the LMS's actions on them (waive, abandon), audited by the caller."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from academy.db import db
from academy.org.models import Person
from courses.cmi5.models import AssignableUnit, AuState, LaunchSession
from courses.cmi5.services.importer import structure_of
from courses.cmi5.services.launch import open_sessions
from courses.cmi5.services.satisfaction import au_states, meets_move_on
from courses.models import Course, CourseKind, Enrolment


@dataclass(frozen=True)
class UnitStatus:
    au: AssignableUnit
    state: AuState | None
    #: not_started, completed, passed, failed, satisfied or waived.
    status: str

    @property
    def can_waive(self) -> bool:
        return self.status not in ("satisfied", "waived")


def au_status(au: AssignableUnit, state: AuState | None) -> str:
    """What the registration's statements say of the AU, in one word."""
    if state is not None and state.waived_at is not None:
        return "waived"
    if (state is not None and state.satisfied_at is not None) or meets_move_on(au, state):
        return "satisfied"
    if state is not None and state.passed_at is not None:
        return "passed"
    if state is not None and state.completed_at is not None:
        return "completed"
    if state is not None and state.failed_at is not None:
        return "failed"
    return "not_started"


def unit_statuses(enrolment: Enrolment) -> list[UnitStatus]:
    """Each AU of the course, in document order, with its status in the registration."""
    states = au_states(enrolment)
    return [
        UnitStatus(au, states.get(au.id), au_status(au, states.get(au.id))) for au in structure_of(enrolment.course)[1]
    ]


def cmi5_enrolments(person: Person) -> list[Enrolment]:
    """The person's enrolments in cmi5 courses (their cmi5 registrations), by course code."""
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(Enrolment.course)
            .where(Enrolment.person_id == person.id, Course.kind == CourseKind.CMI5)
            .order_by(Course.code)
        )
    )


def get_registration(registration: uuid.UUID) -> Enrolment | None:
    """The enrolment of a cmi5 registration id."""
    return db.session.scalar(
        select(Enrolment)
        .join(Enrolment.course)
        .where(Enrolment.registration == registration, Course.kind == CourseKind.CMI5)
    )


def open_session(enrolment: Enrolment) -> LaunchSession | None:
    """The registration's open session, if an AU is (or was left) running."""
    sessions = open_sessions(enrolment)
    return sessions[-1] if sessions else None


def find_unit(enrolment: Enrolment, ident: str) -> AssignableUnit | None:
    """An AU of the registration's course by its key (UUID) or its publisher id."""
    query = select(AssignableUnit).where(AssignableUnit.course_id == enrolment.course_id)
    try:
        key = uuid.UUID(ident)
    except ValueError:
        return db.session.scalar(query.where(AssignableUnit.publisher_id == ident).order_by(AssignableUnit.id))
    return db.session.scalar(query.where(AssignableUnit.key == key))
