"""Passwords by email: an admin's invitation, "forgot password", and the page a mailed link opens.

Routes of the auth blueprint (academy.auth.views imports this module).
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.forms import ForgotPasswordForm, SetPasswordForm
from academy.auth.links import LinkUsedError, find_link, issue_link, use_link
from academy.auth.models import AccountLinkPurpose, User
from academy.auth.permissions import admin_required
from academy.auth.services import AccountError, get_user_by_email
from academy.auth.views import bp
from academy.dates import format_be_datetime
from academy.extensions import db, limiter
from academy.i18n import current_locale
from academy.mail import MailError, external_url, send_mail, send_mail_in_background
from academy.transactions import commit_on_success


def _expiry_text(locale: str, when: datetime) -> str:
    return format_be_datetime(when, locale, current_app.config["BABEL_DEFAULT_TIMEZONE"])


def send_invitation(user: User, *, inviter: str) -> None:
    """Mail ``user`` a link to choose a password (72 hours, single use) and audit it; MailError if not sent."""
    issued = issue_link(user, AccountLinkPurpose.INVITATION, created_by=inviter)
    locale = user.preferred_locale or current_locale()
    send_mail(
        user.email,
        "invitation",
        locale,
        name=user.display_name or user.email,
        inviter=inviter,
        link=external_url("auth.set_password", token=issued.token),
        expires=_expiry_text(locale, issued.link.expires_at),
    )
    record_audit("auth.invitation_sent", target_type="user", target_id=user.id, details={"link": issued.link.id})


@bp.post("/admin/users/<int:user_id>/invite")
@admin_required
@commit_on_success
def invite_again(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    if not user.active:
        abort(404)
    try:
        send_invitation(user, inviter=current_user.email)
    except MailError:
        db.session.rollback()
        flash(_("The invitation could not be sent: the mail server did not accept it. Try again later."), "error")
        return redirect(url_for("auth.edit_user", user_id=user.id))
    flash(_("An invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


def _reset_limit() -> str:
    return str(current_app.config["ACADEMY_PASSWORD_RESET_RATE_LIMIT"])


def _reset_email_key() -> str:
    return "reset-email:" + request.form.get("email", "").strip().lower()


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=get_remote_address, scope="reset-address")
@limiter.limit(_reset_limit, methods=["POST"], key_func=_reset_email_key, scope="reset-email")
@commit_on_success
def forgot_password() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        user = get_user_by_email(email)
        known = user is not None and user.active
        if user is not None and user.active:
            issued = issue_link(user, AccountLinkPurpose.PASSWORD_RESET, created_by=email)
            locale = current_locale()
            # Sent off the request, so that the answer takes as long whether or not the email is known.
            send_mail_in_background(
                user.email,
                "password_reset",
                locale,
                name=user.display_name or user.email,
                link=external_url("auth.set_password", token=issued.token),
                expires=_expiry_text(locale, issued.link.expires_at),
            )
        record_audit(
            "auth.reset_requested",
            target_type="user" if known and user else None,
            target_id=user.id if known and user else None,
            details={"email": email, "known": known},
        )
        flash(
            _(
                "If an account has this email, a link to choose a new password is on its way. "
                "It works once, for 2 hours."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/account/password/<token>", methods=["GET", "POST"])
@no_store
@commit_on_success
def set_password(token: str) -> ResponseReturnValue:
    """The page a mailed link opens (invitation or reset): choose a password, then sign in."""
    link = find_link(token, AccountLinkPurpose.INVITATION) or find_link(token, AccountLinkPurpose.PASSWORD_RESET)
    if link is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            ended = use_link(link, form.password.data or "")
        except AccountError as error:
            db.session.rollback()
            form.password.errors = [str(error)]
        except LinkUsedError:
            db.session.rollback()
            return render_template("auth/link_invalid.html"), 404
        else:
            invitation = link.purpose is AccountLinkPurpose.INVITATION
            record_audit(
                "auth.invitation_accepted" if invitation else "auth.reset_done",
                target_type="user",
                target_id=link.user_id,
                actor=link.user.email,
                user_id=link.user_id,
                details={"link": link.id, "sessions_ended": ended},
            )
            flash(_("Your password is set. Sign in with it now."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form, link=link), status
