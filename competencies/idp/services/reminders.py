"""What IDP reminders are due: a later job sends them through the portal's notifications (not built yet).

Three kinds, as the issue lists them: a plan still in draft (or returned) after the date plans
should be submitted by; a submitted plan not agreed within 14 days (to the supervisor); a goal
of an agreed plan not met and due within a fortnight (to the official).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, select

from academy.dates import today as platform_today
from academy.db import db
from academy.org.models import Person, PersonStatus
from academy.org.supervision import effective_supervisor
from competencies.idp.models import Idp, IdpGoal, IdpState

AGREE_WITHIN = timedelta(days=14)
GOAL_NOTICE = timedelta(days=14)


class ReminderKind(enum.StrEnum):
    DRAFT_NOT_SUBMITTED = "draft_not_submitted"
    NOT_AGREED = "not_agreed"
    GOAL_DUE = "goal_due"


@dataclass(frozen=True)
class Reminder:
    kind: ReminderKind
    idp_id: int
    #: Whom to remind: the official, or (NOT_AGREED) their supervisor; None when they have none.
    recipient_person_id: int | None
    goal_id: int | None = None
    due: date | None = None


def due_reminders(submit_by: date, on: date | None = None) -> Iterator[Reminder]:
    """Every reminder due on a day (by default today), for the plans of active people."""
    day = on or platform_today()
    active = and_(Person.id == Idp.person_id, Person.status == PersonStatus.ACTIVE)
    if day > submit_by:
        for idp_id, person_id in db.session.execute(
            select(Idp.id, Idp.person_id).join(Person, active).where(Idp.state.in_((IdpState.DRAFT, IdpState.RETURNED)))
        ):
            yield Reminder(ReminderKind.DRAFT_NOT_SUBMITTED, idp_id, person_id, due=submit_by)
    cutoff = datetime.combine(day, time(), tzinfo=UTC) - AGREE_WITHIN
    for idp in db.session.scalars(
        select(Idp).join(Person, active).where(Idp.state == IdpState.SUBMITTED, Idp.submitted_at < cutoff)
    ):
        supervisor = effective_supervisor(idp.person)
        yield Reminder(ReminderKind.NOT_AGREED, idp.id, supervisor.id if supervisor else None)
    for idp_id, person_id, goal_id, due in db.session.execute(
        select(Idp.id, Idp.person_id, IdpGoal.id, IdpGoal.due_date)
        .join(IdpGoal, IdpGoal.idp_id == Idp.id)
        .join(Person, active)
        .where(
            Idp.state == IdpState.AGREED,
            IdpGoal.due_date.is_not(None),
            IdpGoal.due_date <= day + GOAL_NOTICE,
            IdpGoal.due_date >= day,
            IdpGoal.attained_level < IdpGoal.target_level,
        )
    ):
        yield Reminder(ReminderKind.GOAL_DUE, idp_id, person_id, goal_id, due)
