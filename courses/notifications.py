"""The courses' notifications: a course assigned to me, due in 7 days, overdue."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from academy.auth.models import User
from academy.dates import format_be_date, today
from academy.db import db
from academy.i18n import current_locale, localized
from academy.notifications import Due, Kind, Message, civil_servants, register_kind
from academy.notifications.models import Notification
from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus

#: An assignment is announced if it was made within this window (older ones predate the notifications).
ASSIGNED_WITHIN = timedelta(days=14)
DUE_NOTICE = timedelta(days=7)


Describe = Callable[[Sequence[Notification]], dict[int, Message]]


def _open_assignments() -> Select[int, int, date | None]:
    return (
        select(User.id, Enrolment.id, Enrolment.due_on)
        .join(User, User.person_id == Enrolment.person_id)
        .where(
            User.active.is_(True),
            Enrolment.source == EnrolmentSource.ASSIGNED,
            Enrolment.status != EnrolmentStatus.COMPLETED,
        )
    )


def assigned(now: datetime) -> Iterator[Due]:
    query = _open_assignments().where(Enrolment.enrolled_at >= now - ASSIGNED_WITHIN)
    for user_id, enrolment_id, _due in db.session.execute(query):
        yield Due(user_id, str(enrolment_id))


def due_soon(now: datetime) -> Iterator[Due]:
    """Once per assignment and due date, when it falls within the next 7 days."""
    day = today(now)
    query = _open_assignments().where(Enrolment.due_on >= day, Enrolment.due_on <= day + DUE_NOTICE)
    for user_id, enrolment_id, due in db.session.execute(query):
        yield Due(user_id, str(enrolment_id), due.isoformat() if due else "")


def overdue(now: datetime) -> Iterator[Due]:
    """Once per assignment and due date, the day after the due date passed without completion."""
    query = _open_assignments().where(Enrolment.due_on < today(now))
    for user_id, enrolment_id, due in db.session.execute(query):
        yield Due(user_id, str(enrolment_id), due.isoformat() if due else "")


def _enrolments(notifications: Sequence[Notification]) -> dict[str, tuple[Enrolment, Course]]:
    ids = {int(n.subject) for n in notifications if n.subject.isdigit()}
    rows = db.session.execute(
        select(Enrolment, Course).join(Course, Course.id == Enrolment.course_id).where(Enrolment.id.in_(ids))
    )
    return {str(enrolment.id): (enrolment, course) for enrolment, course in rows}


def _describer(title: Callable[[], str], text: Callable[[str, str], str]) -> Describe:
    """A describe function for one kind: ``title()`` and ``text(course, due)`` in the current locale."""

    def describe(notifications: Sequence[Notification]) -> dict[int, Message]:
        found = _enrolments(notifications)
        locale = current_locale()
        messages = {}
        for notification in notifications:
            if notification.subject not in found:
                continue
            enrolment, course = found[notification.subject]
            name = localized(course.title_th, course.title_en)
            due = format_be_date(enrolment.due_on, locale) if enrolment.due_on else _("no due date")
            messages[notification.id] = Message(title(), text(name, due), "courses.course", {"code": course.code})
        return messages

    return describe


def register() -> None:
    """Register the three kinds (called by courses.init_app)."""
    register_kind(
        Kind(
            "course_assigned",
            _l("A course is assigned to me"),
            assigned,
            _describer(
                lambda: _("A course is assigned to you"),
                lambda course, due: _("You are assigned the course %(course)s, due %(due)s.", course=course, due=due),
            ),
            order=10,
            audience=civil_servants,
        )
    )
    register_kind(
        Kind(
            "course_due_soon",
            _l("An assigned course is due within 7 days"),
            due_soon,
            _describer(
                lambda: _("An assigned course is due soon"),
                lambda course, due: _("The course %(course)s is due on %(due)s.", course=course, due=due),
            ),
            order=20,
            audience=civil_servants,
        )
    )
    register_kind(
        Kind(
            "course_overdue",
            _l("An assigned course is overdue"),
            overdue,
            _describer(
                lambda: _("An assigned course is overdue"),
                lambda course, due: _(
                    "The course %(course)s was due on %(due)s and is not completed yet.", course=course, due=due
                ),
            ),
            order=30,
            audience=civil_servants,
        )
    )
