"""The course-authoring blueprint (/admin/courses) and the helpers its course and structure pages share."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from academy.audit.services import record_audit
from academy.db import db
from courses.authoring_forms import FORMAT_LABELS, KIND_LABELS, RULE_LABELS, STATUS_LABELS
from courses.models import Course
from courses.services.authoring import AuthoringError

# The templates stay in courses/templates/course_admin, one level up from this package.
bp = Blueprint("course_admin", __name__, url_prefix="/admin/courses", template_folder="../templates")


@bp.context_processor
def _labels() -> dict[str, object]:
    return {
        "format_labels": FORMAT_LABELS,
        "status_labels": STATUS_LABELS,
        "rule_labels": RULE_LABELS,
        "kind_labels": KIND_LABELS,
    }


def _attach(form: FlaskForm, error: AuthoringError, rows: list[int] | None = None) -> None:
    """Show a service's error at the field it names, or above the form."""
    target: Any = form
    match = re.fullmatch(r"choices\[(\d+)\]\.(\w+)", error.field)
    if match and rows is not None and int(match[1]) < len(rows):
        target, name = form["choices"][rows[int(match[1])]], match[2]
    else:
        name = error.field
    field = target._fields.get(name) if hasattr(target, "_fields") else None
    if field is None:
        flash(str(error), "error")
    else:
        field.errors = [*field.errors, error.message]


def show_error(form: FlaskForm, error: AuthoringError, rows: list[int] | None = None) -> None:
    db.session.rollback()
    _attach(form, error, rows)


def audit_edit(course: Course, action: str, **details: object) -> None:
    record_audit("course.edit", target_type="course", target_id=course.code, details={"action": action, **details})


def offset_from_form() -> int:
    value = request.form.get("offset", "")
    if value not in {"-1", "1"}:
        abort(400, description=_("offset must be -1 or 1."))
    return int(value)


def require_csrf(form: FlaskForm) -> None:
    if not form.validate_on_submit():
        abort(400, description=_("The form has expired; please try again."))
