"""The portal shell: home page by role, language switch, health check, error pages."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from academy.auth.permissions import can_administer, can_view_people
from academy.auth.redirects import safe_redirect_target
from academy.dates import fiscal_year_of, format_be_date, format_be_datetime
from academy.extensions import db
from academy.org.labels import GROUP_LABELS, KIND_LABELS, LEVEL_LABELS, STATUS_LABELS, label
from academy.org.services import role_profile_of

bp = Blueprint("portal", __name__, template_folder="templates")


@bp.app_template_filter("be_date")
def be_date_filter(value: object, style: str = "long") -> str:
    """Format a date in the page's locale: Buddhist Era on Thai pages."""
    if not isinstance(value, date):
        return ""
    return format_be_date(value, str(get_locale() or "th"), style)


ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    429: _l("Too many attempts"),
}
ERROR_TEXTS = {
    403: _l("Your account may not see this page."),
    404: _l("There is no such page, or it is not yours to see."),
    429: _l("Too many attempts in a short time. Wait a minute and try again."),
}


@bp.app_template_filter("be_datetime")
def be_datetime_filter(value: object) -> str:
    """Format a timestamp in Bangkok time, with a Buddhist-Era date on Thai pages."""
    if not isinstance(value, datetime):
        return ""
    return format_be_datetime(value, str(get_locale() or "th"), current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.app_context_processor
def inject_navigation() -> dict[str, object]:
    return {
        "can_view_people": can_view_people(current_user),
        "can_administer": can_administer(current_user),
        "current_locale": str(get_locale() or "th"),
        "today": date.today(),
        "group_label": partial(label, GROUP_LABELS),
        "level_label": partial(label, LEVEL_LABELS),
        "status_label": partial(label, STATUS_LABELS),
        "kind_label": partial(label, KIND_LABELS),
        "error_title": lambda code: str(ERROR_TITLES.get(code, "")),
        "error_text": lambda error: str(ERROR_TEXTS.get(error.code, error.description)),
    }


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    person = current_user.person
    return render_template(
        "portal/home.html",
        person=person,
        profile=role_profile_of(person) if person else None,
        fiscal_year=fiscal_year_of(date.today()),
    )


@bp.get("/lang/<code>")
def switch_language(code: str) -> ResponseReturnValue:
    if code in ("th", "en"):
        session["locale"] = code
    # Only same-site paths: an open redirect would help phishing.
    return redirect(safe_redirect_target(request.args.get("next")))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> ResponseReturnValue:
    if request.path.startswith(("/api/", "/xapi/")) or request.accept_mimetypes.best == "application/json":
        return jsonify(error=error.name, message=error.description), error.code or 500
    return render_template("portal/error.html", error=error), error.code or 500
