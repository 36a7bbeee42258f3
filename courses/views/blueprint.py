"""The learner's blueprint (courses) and what its pages share: labels, learner_required, the course lookups."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from academy.i18n import current_locale
from competencies.models import Framework
from competencies.services.frameworks import active_standard
from courses.models import Course, CourseFormat, Enrolment, EnrolmentStatus
from courses.services.catalogue import get_course
from courses.services.enrolment import enrolment_of

# The templates stay in courses/templates/courses, one level up from this package.
bp = Blueprint("courses", __name__, template_folder="../templates")
FORMAT_LABELS = {
    CourseFormat.ONLINE: _l("Online, self-paced"),
    CourseFormat.CLASSROOM: _l("Classroom"),
    CourseFormat.EXTERNAL: _l("External provider"),
}
STATUS_LABELS = {
    EnrolmentStatus.ENROLLED: _l("Not started"),
    EnrolmentStatus.IN_PROGRESS: _l("In progress"),
    EnrolmentStatus.COMPLETED: _l("Completed"),
}
LANGUAGE_LABELS = {"th": _l("Thai"), "en": _l("English")}


def enrolment_status_labels() -> dict[EnrolmentStatus, str]:
    """Every enrolment status's label in the page's language, for a page of many enrolments (one lookup each)."""
    return {status: str(label) for status, label in STATUS_LABELS.items()}


F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def learner_required(view: F) -> F:
    """The page is a learner's own: the signed-in user must be a person of the civil service."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_user.person is None:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _locale() -> str:
    return current_locale()


@bp.app_context_processor
def course_labels() -> dict[str, object]:
    return {
        "format_label": lambda value: str(FORMAT_LABELS.get(value, value)),
        "enrolment_status_label": lambda value: str(STATUS_LABELS.get(value, value)),
        "language_label": lambda value: str(LANGUAGE_LABELS.get(value, value)),
    }


def _standard(*, levels: bool = False) -> Framework | None:
    """The standard with its areas and competencies (every learner's page reads them); its scale if asked."""
    if levels:
        return active_standard(joinedload(Framework.competencies), selectinload(Framework.levels))
    return active_standard(joinedload(Framework.competencies))


def _published_course(code: str, *, lesson_content: bool = True) -> Course:
    course = get_course(code, lesson_content=lesson_content)
    if course is None:
        abort(404)
    return course


def _own_enrolment(course: Course) -> Enrolment:
    person = current_user.person
    enrolment = enrolment_of(person, course) if person is not None else None
    if enrolment is None:
        abort(404)
    return enrolment
