"""The second factor's pages: enrol (QR code), enter a code, admins' reset; and the gate before every page.

Routes of the auth blueprint (academy.auth.views imports this module).
"""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.forms import EnrolForm, SecondFactorForm
from academy.auth.models import User
from academy.auth.permissions import admin_required
from academy.auth.redirects import safe_redirect_target
from academy.auth.second_factor import (
    PENDING_KEY,
    SecondFactorError,
    enrol_totp,
    get_second_factor,
    mark_second_factor,
    needs_second_factor,
    new_totp_secret,
    provisioning_uri,
    qr_code_svg,
    recovery_codes_left,
    reset_second_factor,
    second_factor_satisfied,
    use_recovery_code,
    verify_totp,
)
from academy.auth.session_store import STATELESS_PREFIXES, current_session_id, renew_session_tokens
from academy.auth.sessions import end_user_sessions
from academy.auth.views import bp
from academy.extensions import db, limiter
from academy.transactions import commit_on_success

#: What a privileged user may open before the second factor: these pages, signing out, the language.
_OPEN_ENDPOINTS = frozenset(
    {
        "static",
        "auth.second_factor",
        "auth.second_factor_setup",
        "auth.logout",
        "auth.login",
        "portal.switch_language",
        "portal.healthz",
    }
)


@bp.before_app_request
def require_second_factor() -> ResponseReturnValue | None:
    """Before any page: an HR officer or admin who has not passed the factor in this session goes to it first.

    The REST API's session reads check the same (api.rest.auth); other stateless paths have no session user.
    """
    if request.path.startswith(STATELESS_PREFIXES) or request.endpoint in _OPEN_ENDPOINTS:
        return None
    if not needs_second_factor(current_user) or second_factor_satisfied():
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else url_for("portal.home")
    endpoint = "auth.second_factor" if get_second_factor(current_user) else "auth.second_factor_setup"
    return redirect(url_for(endpoint, next=target))


@bp.app_template_global()
def second_factor_of(user: User) -> object:
    """The user's TOTP factor, for the admin's user page (None when not enrolled)."""
    return get_second_factor(user)


@bp.app_template_global()
def second_factor_pending() -> bool:
    """Whether this page's user still owes the second factor (the menu waits until they pass it)."""
    return needs_second_factor(current_user) and not second_factor_satisfied()


def _next() -> str:
    return safe_redirect_target(request.args.get("next"))


def _user_key() -> str:
    return f"second-factor:{current_user.get_id()}"


def _limit() -> str:
    return str(current_app.config["ACADEMY_SECOND_FACTOR_RATE_LIMIT"])


def _failed(response: Response) -> bool:
    return response.status_code == 401


@bp.route("/account/second-factor/setup", methods=["GET", "POST"])
@no_store
@login_required
@limiter.limit(_limit, methods=["POST"], key_func=_user_key, scope="second-factor", deduct_when=_failed)
@commit_on_success
def second_factor_setup() -> ResponseReturnValue:
    """Enrol an authenticator app: scan the QR code, confirm with a code, keep the recovery codes."""
    user = current_user._get_current_object()
    if get_second_factor(user) is not None and not second_factor_satisfied():
        # Replacing a factor needs the factor (or an admin's reset): else a stolen password would do.
        return redirect(url_for("auth.second_factor", next=_next()))
    secret = session.get(PENDING_KEY)
    if not isinstance(secret, str) or not secret:
        secret = new_totp_secret()
        session[PENDING_KEY] = secret
    form = EnrolForm()
    status = 200
    if form.validate_on_submit():
        try:
            enrolment = enrol_totp(user, secret, form.code.data or "")
        except SecondFactorError:
            form.code.errors = [_("This code does not match. Check the app's time and try the newest code.")]
            status = 401
        else:
            session.pop(PENDING_KEY, None)
            mark_second_factor("totp")
            renew_session_tokens()
            record_audit(
                "auth.second_factor_enrolled", target_type="user", target_id=user.id, details={"method": "totp"}
            )
            return render_template("auth/recovery_codes.html", codes=enrolment.recovery_codes, next=_next())
    elif form.is_submitted():
        status = 400
    uri = provisioning_uri(user, secret)
    return render_template("auth/second_factor_setup.html", form=form, qr=qr_code_svg(uri), secret=secret), status


@bp.route("/account/second-factor", methods=["GET", "POST"])
@no_store
@login_required
@limiter.limit(_limit, methods=["POST"], key_func=_user_key, scope="second-factor", deduct_when=_failed)
@commit_on_success
def second_factor() -> ResponseReturnValue:
    """Enter the authenticator's code (or a recovery code) after signing in."""
    user = current_user._get_current_object()
    if second_factor_satisfied():
        return redirect(_next())
    if get_second_factor(user) is None:
        return redirect(url_for("auth.second_factor_setup", next=_next()))
    form = SecondFactorForm()
    if form.validate_on_submit():
        code = form.code.data or ""
        if verify_totp(user, code):
            method = "totp"
        elif use_recovery_code(user, code):
            method = "recovery_code"
        else:
            record_audit("auth.second_factor_failed", target_type="user", target_id=user.id)
            db.session.commit()  # kept although the answer is a 401
            form.code.errors = [_("This code is not valid, or was used already.")]
            return render_template("auth/second_factor.html", form=form), 401
        mark_second_factor(method)
        renew_session_tokens()
        left = recovery_codes_left(user)
        record_audit(
            "auth.recovery_code_used" if method == "recovery_code" else "auth.second_factor",
            target_type="user",
            target_id=user.id,
            details={"method": method, "session": current_session_id(), "recovery_codes_left": left},
        )
        if method == "recovery_code":
            flash(
                _(
                    "You used a recovery code; %(num)d are left. "
                    "Ask an admin to reset your factor if you lost the app.",
                    num=left,
                ),
                "warning",
            )
        return redirect(_next())
    status = 400 if form.is_submitted() else 200
    return render_template("auth/second_factor.html", form=form), status


@bp.post("/admin/users/<int:user_id>/second-factor/reset")
@admin_required
@commit_on_success
def reset_user_second_factor(user_id: int) -> ResponseReturnValue:
    """An admin removes a user's factor (a lost phone): the user enrols again, and is signed out everywhere."""
    user = db.get_or_404(User, user_id)
    existed = reset_second_factor(user)
    keep = current_session_id() if user.id == current_user.id else None
    ended = end_user_sessions(user.id, reason="factor_reset", keep=keep)
    if user.id == current_user.id:
        session.pop("second_factor", None)
    record_audit(
        "auth.second_factor_reset",
        target_type="user",
        target_id=user.id,
        details={"had_factor": existed, "sessions_ended": ended},
    )
    flash(
        _("The second factor of %(email)s was reset; they enrol again at their next sign-in.", email=user.email),
        "success",
    )
    return redirect(url_for("auth.edit_user", user_id=user.id))
