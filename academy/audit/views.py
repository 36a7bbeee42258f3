"""The audit log, for academy admins."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from academy.audit.services import audit_query, detail_lines
from academy.auth.permissions import admin_required
from academy.dates import format_date_input, parse_date
from academy.i18n import current_locale
from academy.inputs import paginate

bp = Blueprint("audit", __name__, template_folder="templates")


def _day_arg(name: str) -> date | None:
    """A day from the filter: DD/MM/YYYY (a Buddhist-Era year on Thai pages) or YYYY-MM-DD."""
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        abort(400, description=_("Dates are day/month/year, e.g. %(example)s.", example=_example()))


def _example() -> str:
    return format_date_input(date(2026, 12, 31), current_locale())


@bp.get("/admin/audit")
@admin_required
def log() -> ResponseReturnValue:
    action = request.args.get("action", "").strip()[:64]
    actor = request.args.get("actor", "").strip()[:255]
    since, until = _day_arg("from"), _day_arg("to")
    page = paginate(audit_query(action, actor, since, until), 50)
    locale = current_locale()
    return render_template(
        "audit/log.html",
        page=page,
        action=action,
        actor=actor,
        since=format_date_input(since, locale) if since else "",
        until=format_date_input(until, locale) if until else "",
        example=_example(),
        detail_lines=detail_lines,
    )
