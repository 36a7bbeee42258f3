"""The portal shell: home page by role, language switch, health check, error pages."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

from flask import Blueprint, Flask, Response, current_app, g, jsonify, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import escape
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from academy.auth.permissions import can_administer, can_view_people
from academy.auth.redirects import safe_redirect_target
from academy.dates import current_fiscal_year, format_be_date, format_be_datetime, format_fiscal_year, today
from academy.db import is_unavailable
from academy.extensions import db
from academy.i18n import current_locale, localized
from academy.org.labels import GROUP_LABELS, KIND_LABELS, LEVEL_LABELS, STATUS_LABELS, label
from academy.org.services import role_profile_of

bp = Blueprint("portal", __name__, template_folder="templates")


def page_locale(context: Context) -> str:
    """The locale of the page being rendered: the one the template context was given, else the request's.

    A page of many dates reads it from its context instead of asking Flask-Babel once a date.
    """
    locale = context.get("current_locale")
    return locale if isinstance(locale, str) else current_locale()


@bp.app_template_filter("be_date")
@pass_context
def be_date_filter(context: Context, value: object, style: str = "long") -> str:
    """Format a date in the page's locale: Buddhist Era on Thai pages."""
    if not isinstance(value, date):
        return ""
    return format_be_date(value, page_locale(context), style)


ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}
ERROR_TEXTS = {
    403: _l("Your account may not see this page."),
    404: _l("There is no such page, or it is not yours to see."),
    429: _l("Too many attempts in a short time. Wait a minute and try again."),
    500: _l("The platform could not complete this request. Try again; if it happens again, tell the academy."),
    503: _l("The platform cannot reach its database just now. Try again in a few seconds."),
}
#: How long a client should wait before sending a request again while the database does not answer.
RETRY_AFTER_SECONDS = 5


@bp.app_template_filter("be_datetime")
@pass_context
def be_datetime_filter(context: Context, value: object, seconds: bool = True) -> str:
    """Format a timestamp in Bangkok time, BE date on Thai pages (``be_datetime(false)``: to the minute)."""
    if not isinstance(value, datetime):
        return ""
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    return format_be_datetime(value, page_locale(context), timezone, seconds=seconds)


@bp.app_template_filter("fiscal_year")
@pass_context
def fiscal_year_filter(context: Context, value: object) -> str:
    """Name a fiscal year (BE): "ปีงบประมาณ 2570", or "FY 2570 (Oct 2026 – Sep 2027)" on English pages."""
    if not isinstance(value, int):
        return ""
    return format_fiscal_year(value, page_locale(context))


@bp.app_context_processor
def inject_navigation() -> dict[str, object]:
    return {
        "can_view_people": can_view_people(current_user),
        "can_administer": can_administer(current_user),
        "current_locale": current_locale(),
        # loc(th, en): the English text on English pages where there is one, else the Thai.
        "loc": localized,
        "today": today(),
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
        fiscal_year=current_fiscal_year(),
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
        return jsonify(status="error", database="error"), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return jsonify(status="ok", database="ok")


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/xapi/")) or request.accept_mimetypes.best == "application/json"


def _roll_back() -> None:
    """Roll the request's session back, so that what renders the error may use it again."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        current_app.logger.warning("rolling back after an error failed", exc_info=True)


def database_error(error: SQLAlchemyError) -> ResponseReturnValue:
    """Answer 503 with Retry-After while the database does not answer; any other database error is a 500."""
    _roll_back()
    if not is_unavailable(error):
        raise error  # Flask logs it and answers with the 500 page (http_error)
    current_app.logger.warning("the database does not answer: %s", error)
    unavailable = ServiceUnavailable(retry_after=RETRY_AFTER_SECONDS)
    if _wants_json():
        response = jsonify(error=unavailable.name, message=str(ERROR_TEXTS[503]))
    else:
        # The page must not touch the database: show it as to a visitor, not loading the user
        # (Flask-Login loads the user, from the database, the first time anything asks for it).
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]
        response = _error_page(unavailable)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def http_error(error: HTTPException) -> ResponseReturnValue:
    # Always first: after a failed flush the session refuses every query (PendingRollbackError),
    # and the page's navigation asks the database about the user.
    _roll_back()
    if _wants_json():
        return jsonify(error=error.name, message=error.description), error.code or 500
    response = _error_page(error)
    response.status_code = error.code or 500
    return response


def register_error_pages(app: Flask) -> None:
    """Answer every error of the app with these pages, but in blueprints that carry their own handler.

    Registered last (create_app): an extension that registers an app-wide handler of its own
    (flask-smorest, for JSON errors) must not take the portal's pages over.
    """
    app.register_error_handler(SQLAlchemyError, database_error)
    app.register_error_handler(HTTPException, http_error)


def _error_page(error: HTTPException) -> Response:
    """The error page in the portal's layout; a bare bilingual page if even that cannot be rendered."""
    try:
        return Response(render_template("portal/error.html", error=error))
    except Exception:
        current_app.logger.exception("the error page could not be rendered")
    code = error.code or 500
    # Fixed texts, no template and no translation catalogue: this must work when nothing else does.
    return Response(
        f"<!doctype html><html lang=th><meta charset=utf-8><title>{code}</title>"
        f"<h1>{code} · {escape(error.name)}</h1>"
        "<p lang=th>ระบบไม่สามารถดำเนินการตามคำขอนี้ได้ในขณะนี้ โปรดลองอีกครั้งในภายหลัง</p>"
        "<p lang=en>The platform could not complete this request just now. Try again later.</p>"
        '<p><a href="/">หน้าแรก · Home</a></p></html>',
        mimetype="text/html",
    )
