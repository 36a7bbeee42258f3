"""The reminders a later job sends: drafts late, plans not agreed in 14 days, goals due soon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from academy.dates import current_fiscal_year, today
from competencies.idp.models import IdpState
from competencies.idp.services.reminders import ReminderKind, due_reminders
from competencies.idp.services.workflow import add_goal, create_idp, transition
from competencies.models import Framework
from tests.competencies.idp.conftest import Office
from tests.support.competencies import competency


def test_each_kind_of_reminder_is_listed_when_due(office: Office, standard: Framework) -> None:
    year, day = current_fiscal_year(), today()
    draft = create_idp(office.colleague, year, None, None)
    late = create_idp(office.official, year, None, None)
    add_goal(late, competency(standard, "DL-01"), 2, None, None)
    transition(late, "submit", None)
    late.submitted_at = datetime.now(UTC) - timedelta(days=15)
    agreed = create_idp(office.head, year, None, None)
    soon = add_goal(agreed, competency(standard, "DL-02"), 2, day + timedelta(days=3), None)
    add_goal(agreed, competency(standard, "DL-03"), 2, day + timedelta(days=60), None)  # not due yet
    agreed.state = IdpState.AGREED

    found = {(r.kind, r.idp_id, r.recipient_person_id, r.goal_id) for r in due_reminders(day - timedelta(days=1))}
    assert found == {
        (ReminderKind.DRAFT_NOT_SUBMITTED, draft.id, office.colleague.id, None),
        (ReminderKind.NOT_AGREED, late.id, office.head.id, None),  # to the supervisor
        (ReminderKind.GOAL_DUE, agreed.id, office.head.id, soon.id),
    }
    # Before the submission date no draft is late; a plan submitted yesterday is not overdue.
    late.submitted_at = datetime.now(UTC) - timedelta(days=1)
    kinds = {r.kind for r in due_reminders(day + timedelta(days=1))}
    assert kinds == {ReminderKind.GOAL_DUE}
