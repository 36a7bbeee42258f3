"""The competencies' notifications: the IDP reminders and the HR officers' weekly coverage digest.

The IDP reminders are what ``competencies.idp.services.reminders.due_reminders`` lists (one
home for which plans are late); this module only says to whom and how they read. The digest
reads its figures from ``competencies.services.coverage`` (the one coverage function), fixed
when the digest is produced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, exists, select

from academy.auth.models import HrScope, Role, User, UserRole
from academy.dates import current_fiscal_year, format_be_date, today
from academy.db import db
from academy.i18n import current_locale, localized
from academy.notifications import Due, Kind, Message, civil_servants, register_kind
from academy.notifications.models import Notification
from academy.org.models import Agency, Person
from academy.org.supervision import has_reports_condition
from competencies.idp.models import Idp, IdpGoal
from competencies.idp.services.reminders import Reminder, ReminderKind, due_reminders
from competencies.models import Competency
from competencies.services.coverage import agency_coverage
from competencies.services.frameworks import active_standard

Describe = Callable[[Sequence[Notification]], dict[int, Message]]


def submit_by(now: datetime) -> date:
    """The date plans should be submitted by: ``ACADEMY_IDP_SUBMIT_BY`` (ISO), else 31 December of the fiscal year."""
    configured = current_app.config.get("ACADEMY_IDP_SUBMIT_BY")
    if configured:
        return configured if isinstance(configured, date) else date.fromisoformat(str(configured))
    fiscal_year_ce = current_fiscal_year(now) - 543
    return date(fiscal_year_ce - 1, 12, 31)  # the fiscal year starts on 1 October of the year before


def _users_of(person_ids: set[int]) -> dict[int, int]:
    if not person_ids:
        return {}
    rows = db.session.execute(
        select(User.person_id, User.id).where(User.person_id.in_(person_ids), User.active.is_(True))
    )
    return {person_id: user_id for person_id, user_id in rows if person_id is not None}


def _idp_producer(kind: ReminderKind) -> Callable[[datetime], Iterator[Due]]:
    def produce(now: datetime) -> Iterator[Due]:
        deadline = submit_by(now)
        reminders: list[Reminder] = [
            r for r in due_reminders(deadline, today(now)) if r.kind is kind and r.recipient_person_id is not None
        ]
        users = _users_of({r.recipient_person_id for r in reminders if r.recipient_person_id is not None})
        for reminder in reminders:
            user_id = users.get(reminder.recipient_person_id or 0)
            if user_id is None:
                continue
            if kind is ReminderKind.DRAFT_NOT_SUBMITTED:
                yield Due(user_id, str(reminder.idp_id), deadline.isoformat())
            elif kind is ReminderKind.NOT_AGREED:
                yield Due(user_id, str(reminder.idp_id))
            else:
                yield Due(user_id, str(reminder.goal_id), reminder.due.isoformat() if reminder.due else "")

    return produce


def _ids(notifications: Sequence[Notification]) -> set[int]:
    return {int(n.subject) for n in notifications if n.subject.isdigit()}


def _describe_draft(notifications: Sequence[Notification]) -> dict[int, Message]:
    plans = {str(i.id): i for i in db.session.scalars(select(Idp).where(Idp.id.in_(_ids(notifications))))}
    messages = {}
    for n in notifications:
        idp = plans.get(n.subject)
        if idp is None:
            continue
        deadline = format_be_date(date.fromisoformat(n.period), current_locale()) if n.period else ""
        messages[n.id] = Message(
            _("Your development plan is not submitted"),
            _("Plans were to be submitted by %(date)s. Submit yours to your supervisor.", date=deadline),
            "idp.plan",
            {"idp_id": idp.id},
        )
    return messages


def _describe_not_agreed(notifications: Sequence[Notification]) -> dict[int, Message]:
    rows = db.session.execute(
        select(Idp, Person).join(Person, Person.id == Idp.person_id).where(Idp.id.in_(_ids(notifications)))
    )
    plans = {str(idp.id): (idp, person) for idp, person in rows}
    messages = {}
    for n in notifications:
        if n.subject not in plans:
            continue
        idp, person = plans[n.subject]
        messages[n.id] = Message(
            _("A development plan waits for your agreement"),
            _(
                "%(name)s submitted a development plan more than 14 days ago; agree it or return it.",
                name=localized(person.full_name_th, person.full_name_en),
            ),
            "idp.plan",
            {"idp_id": idp.id},
        )
    return messages


def _describe_goal(notifications: Sequence[Notification]) -> dict[int, Message]:
    rows = db.session.execute(
        select(IdpGoal, Competency)
        .join(Competency, Competency.id == IdpGoal.competency_id)
        .where(IdpGoal.id.in_(_ids(notifications)))
    )
    goals = {str(goal.id): (goal, competency) for goal, competency in rows}
    messages = {}
    for n in notifications:
        if n.subject not in goals:
            continue
        goal, competency = goals[n.subject]
        due = format_be_date(goal.due_date, current_locale()) if goal.due_date else ""
        messages[n.id] = Message(
            _("A development goal is due soon"),
            _(
                "Your goal %(competency)s (level %(level)s) is due on %(due)s.",
                competency=localized(competency.name_th, competency.name_en),
                level=goal.target_level,
                due=due,
            ),
            "idp.plan",
            {"idp_id": goal.idp_id},
        )
    return messages


# --- the HR officers' weekly digest -----------------------------------------------------------------


def week_of(now: datetime) -> str:
    year, week, _day = today(now).isocalendar()
    return f"{year}-W{week:02d}"


def digests(now: datetime) -> Iterator[Due]:
    """One digest a week per HR officer and agency in their scope, with the agency's coverage this fiscal year."""
    framework = active_standard()
    if framework is None:
        return
    fiscal_year = current_fiscal_year(now)
    period = week_of(now)
    rows = db.session.execute(
        select(User.id, HrScope.agency_id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(HrScope, HrScope.user_id == User.id)
        .where(User.active.is_(True), UserRole.role == Role.HR_OFFICER)
        .order_by(User.id, HrScope.agency_id)
    )
    figures: dict[int, dict[str, object]] = {}
    for user_id, agency_id in rows:
        if agency_id not in figures:
            agency = db.session.get(Agency, agency_id)
            if agency is None:
                continue
            record = agency_coverage(agency, fiscal_year, framework)
            figures[agency_id] = {
                "fiscal_year": fiscal_year,
                "headcount": record.figures.headcount,
                "trained": record.figures.trained,
                "coverage": str(record.coverage_percent),
                "target": str(record.target_percent),
            }
        yield Due(user_id, str(agency_id), period, figures[agency_id])


def _describe_digest(notifications: Sequence[Notification]) -> dict[int, Message]:
    agencies = {str(a.id): a for a in db.session.scalars(select(Agency).where(Agency.id.in_(_ids(notifications))))}
    messages = {}
    for n in notifications:
        agency = agencies.get(n.subject)
        params = n.params or {}
        if agency is None or "coverage" not in params:
            continue
        messages[n.id] = Message(
            _("Weekly coverage of %(agency)s", agency=localized(agency.name_th, agency.name_en)),
            _(
                "Fiscal year %(year)s: %(trained)s of %(headcount)s people trained, coverage %(coverage)s%% "
                "against a target of %(target)s%%.",
                year=params["fiscal_year"],
                trained=params["trained"],
                headcount=params["headcount"],
                coverage=params["coverage"],
                target=params["target"],
            ),
            "reports.agency",
            {"code": agency.code},
        )
    return messages


def supervisors() -> ColumnElement[bool]:
    """Who may be asked to agree a plan: users whose person has reports (academy.org.supervision)."""
    return has_reports_condition(User.person_id)


def hr_officers() -> ColumnElement[bool]:
    """Who gets the digest: HR officers with at least one agency in their scope (as digests() reads them)."""
    return exists().where(UserRole.user_id == User.id, UserRole.role == Role.HR_OFFICER) & exists().where(
        HrScope.user_id == User.id
    )


def register() -> None:
    """Register the kinds (called by competencies.init_app)."""
    register_kind(
        Kind(
            "idp_draft_not_submitted",
            _l("My development plan is not submitted by the date"),
            _idp_producer(ReminderKind.DRAFT_NOT_SUBMITTED),
            _describe_draft,
            order=50,
            audience=civil_servants,
        )
    )
    register_kind(
        Kind(
            "idp_not_agreed",
            _l("A plan of my team waits for my agreement for 14 days"),
            _idp_producer(ReminderKind.NOT_AGREED),
            _describe_not_agreed,
            order=60,
            audience=supervisors,
        )
    )
    register_kind(
        Kind(
            "idp_goal_due",
            _l("A goal of my development plan is due"),
            _idp_producer(ReminderKind.GOAL_DUE),
            _describe_goal,
            order=70,
            audience=civil_servants,
        )
    )
    register_kind(
        Kind(
            "coverage_digest",
            _l("Weekly coverage digest of my agency (HR officers)"),
            digests,
            _describe_digest,
            order=80,
            audience=hr_officers,
        )
    )
