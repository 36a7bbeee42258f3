"""Sign-in, sign-out and user management."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import select

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.forms import ROLE_LABELS, LoginForm, UserForm
from academy.auth.models import Role, User
from academy.auth.passwords import MIN_PASSWORD_LENGTH
from academy.auth.permissions import admin_required
from academy.auth.redirects import safe_redirect_target
from academy.auth.services import (
    AccountError,
    authenticate,
    create_user,
    set_password,
    set_roles,
    users_query,
)
from academy.auth.session_store import current_session_id, sign_in, sign_out
from academy.auth.sessions import active_sessions_of, describe_device, end_session, end_user_sessions, get_user_session
from academy.extensions import db, limiter
from academy.inputs import paginate
from academy.org.models import Agency, Person
from academy.org.services import get_agency_by_code
from academy.transactions import commit_on_success

bp = Blueprint("auth", __name__, template_folder="templates")


def _login_limit() -> str:
    return str(current_app.config["ACADEMY_LOGIN_RATE_LIMIT"])


def _login_account_limit() -> str:
    return str(current_app.config["ACADEMY_LOGIN_ACCOUNT_RATE_LIMIT"])


def _login_email() -> str:
    return request.form.get("email", "").strip().lower()


def _login_account_key() -> str:
    return "account:" + _login_email()


def _login_address_account_key() -> str:
    # Not the address alone: behind one NAT or proxy a whole agency shares it, and one person's
    # failures would lock everyone else out.
    return f"address-account:{get_remote_address()}|{_login_email()}"


def _login_failed(response: Response) -> bool:
    """Only failed sign-ins count: a busy morning of good passwords must not hit the limit."""
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit,
    methods=["POST"],
    key_func=_login_address_account_key,
    scope="login-address-account",
    deduct_when=_login_failed,
)
@limiter.limit(
    _login_account_limit,
    methods=["POST"],
    key_func=_login_account_key,
    scope="login-account",
    deduct_when=_login_failed,
)
@commit_on_success
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            record_audit("auth.login_failed", details={"email": (form.email.data or "").strip().lower()})
            db.session.commit()  # the failed attempt is kept although the answer is a 401
            flash(_("Wrong email or password."), "error")
            return render_template("auth/login.html", form=form), 401
        remember = bool(form.remember.data)
        session_id = sign_in(user, remember=remember)
        record_audit(
            "auth.login", target_type="user", target_id=user.id, details={"session": session_id, "remember": remember}
        )
        return redirect(safe_redirect_target(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
@commit_on_success
def logout() -> ResponseReturnValue:
    from academy.auth.oidc.views import provider_logout_url

    at_provider = provider_logout_url()  # read before the session is cleared
    _end_current_session("signed_out")
    record_audit(
        "auth.logout", target_type="user", target_id=current_user.id, details={"at_provider": at_provider is not None}
    )
    sign_out()
    return redirect(at_provider or url_for("auth.login"))


def _end_current_session(reason: str) -> None:
    session_id = current_session_id()
    row = get_user_session(current_user.id, session_id) if session_id is not None else None
    if row is not None:
        end_session(row, reason=reason)


# --- the user's own sessions -----------------------------------------------------


@bp.get("/account/sessions")
@no_store
@login_required
def sessions() -> ResponseReturnValue:
    return render_template(
        "auth/sessions.html",
        rows=active_sessions_of(current_user.id),
        current_id=current_session_id(),
        describe_device=describe_device,
    )


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
@commit_on_success
def end_one_session(session_id: int) -> ResponseReturnValue:
    row = get_user_session(current_user.id, session_id)
    if row is None:
        abort(404)
    ended_here = row.id == current_session_id()
    end_session(row, reason="ended")
    record_audit("auth.session_end", target_type="user_session", target_id=row.id, details={"user": current_user.id})
    if ended_here:
        sign_out()
        return redirect(url_for("auth.login"))
    flash(_("The session was ended."), "success")
    return redirect(url_for("auth.sessions"))


@bp.post("/account/sessions/end-all")
@login_required
@commit_on_success
def end_all_sessions() -> ResponseReturnValue:
    count = end_user_sessions(current_user.id, reason="ended_all")
    record_audit("auth.sessions_end_all", target_type="user", target_id=current_user.id, details={"ended": count})
    sign_out()
    flash(_("You were signed out everywhere."), "success")
    return redirect(url_for("auth.login"))


# --- user management (academy admins) ------------------------------------------


@bp.get("/admin/users")
@admin_required
def users() -> ResponseReturnValue:
    q = request.args.get("q", "")
    page = paginate(users_query(q), 50)
    return render_template("auth/users.html", page=page, q=q, role_labels=ROLE_LABELS)


#: The account service's refusals (English, as the CLI prints them) as the pages say them.
_ACCOUNT_MESSAGES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^not an email address"), lambda m: _("Invalid email address.")),
    (
        re.compile(r"^a user with email (.+) already exists$"),
        lambda m: _("A user with the email %(email)s already exists.", email=m.group(1)),
    ),
    (
        re.compile(r"^a password needs at least (\d+) characters$"),
        lambda m: _("At least %(count)s characters.", count=m.group(1)),
    ),
    (re.compile(r"^an HR officer needs at least one agency$"), lambda m: _("An HR officer needs at least one agency.")),
)


def account_message(error: Exception) -> str:
    """An account refusal in the page's language (messages made here are translated already)."""
    text = str(error)
    for pattern, message in _ACCOUNT_MESSAGES:
        match = pattern.match(text)
        if match:
            return message(match)
    return text


def _parse_agencies(values: list[str]) -> list[Agency]:
    """Agencies from the picker's fields ("03003 name") or codes separated by commas."""
    agencies = []
    parts = (part.strip() for value in values for part in value.split(","))
    for code in (part.split()[0] for part in parts if part):
        agency = get_agency_by_code(code)
        if agency is None:
            raise AccountError(_("No agency has the code %(code)s.", code=code))
        agencies.append(agency)
    return agencies


def _parse_person(text: str) -> Person | None:
    """The person the picker names: "agency:employee_no", then (from the type-ahead) their name."""
    if not text.strip():
        return None
    agency_code, _sep, employee_no = text.split()[0].partition(":")
    person = db.session.scalar(
        select(Person).join(Person.agency).where(Agency.code == agency_code, Person.employee_no == employee_no)
    )
    if person is None:
        raise AccountError(_("No person has the employee number %(ref)s.", ref=text.strip()))
    return person


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
@commit_on_success
def edit_user(user_id: int | None = None) -> ResponseReturnValue:
    user = None if user_id is None else db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if user is None:  # a new user has no current password to keep
        form.password.description = _(
            "At least %(count)s characters; leave empty to send an invitation by email.", count=MIN_PASSWORD_LENGTH
        )
    if request.method == "GET" and user is not None:
        form.roles.data = [role.value for role in user.roles]
        form.employee.data = (
            f"{user.person.agency.code}:{user.person.employee_no} {user.person.full_name_th}" if user.person else ""
        )
    if form.validate_on_submit():
        try:
            roles = [Role(value) for value in form.roles.data or []]
            agencies = _parse_agencies(request.form.getlist("agency_codes"))
            person = _parse_person(form.employee.data or "")
            if user is None:
                user = create_user(
                    email=form.email.data or "",
                    password=form.password.data or None,
                    display_name=form.display_name.data or "",
                    roles=roles,
                    agencies=agencies,
                    person=person,
                )
                record_audit(
                    "user.create",
                    target_type="user",
                    target_id=user.id,
                    details={"email": user.email, "invited": not form.password.data},
                )
                if not form.password.data:
                    return _invite_new_user(user)
            else:
                was_active = user.active
                before = {"roles": sorted(user.roles), "agencies": sorted(a.code for a in user.scoped_agencies)}
                user.display_name = form.display_name.data or ""
                user.active = bool(form.active.data)
                user.person = person
                if form.password.data:
                    set_password(user, form.password.data)
                set_roles(user, roles, agencies)
                after = {"roles": sorted(user.roles), "agencies": sorted(a.code for a in agencies)}
                record_audit(
                    "user.update",
                    target_type="user",
                    target_id=user.id,
                    details={
                        "before": before,
                        "after": after,
                        "active": user.active,
                        "password_changed": bool(form.password.data),
                    },
                )
                reason = _session_ending_reason(
                    deactivated=was_active and not user.active,
                    password_changed=bool(form.password.data),
                    roles_changed=before != after,
                )
                if reason:
                    _end_sessions_of(user, reason)
        except AccountError as error:
            db.session.rollback()
            flash(account_message(error), "error")
            return render_template("auth/user_form.html", **_form_context(form, user)), 400
        flash(_("Saved."), "success")
        return redirect(url_for("auth.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/user_form.html", **_form_context(form, user)), status


def _form_context(form: UserForm, user: User | None) -> dict[str, object]:
    """The form and what its pickers show: the officer's agencies as "code name" (as posted, after an error)."""
    if request.method == "POST":
        agencies = [v.strip() for v in request.form.getlist("agency_codes") if v.strip()]
    else:
        agencies = [f"{a.code} {a.name_th}" for a in user.scoped_agencies] if user else []
    return {"form": form, "user": user, "agency_values": agencies}


def _invite_new_user(user: User) -> ResponseReturnValue:
    """A new user without a password gets an invitation by email; the account stays if the mail fails."""
    from academy.auth.password_views import send_invitation
    from academy.mail import MailError

    try:
        send_invitation(user, inviter=current_user.email)
    except MailError:
        flash(
            _("The user was created, but the invitation could not be sent. Send it again from this page later."),
            "error",
        )
        return redirect(url_for("auth.edit_user", user_id=user.id))
    flash(_("An invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.users"))


def _session_ending_reason(*, deactivated: bool, password_changed: bool, roles_changed: bool) -> str | None:
    """Why an edit ends the user's other sessions: a copied cookie must not outlive these changes."""
    if deactivated:
        return "deactivated"
    if password_changed:
        return "password_changed"
    if roles_changed:
        return "roles_changed"
    return None


def _end_sessions_of(user: User, reason: str) -> int:
    # An admin editing themselves keeps the session they are using; every other one ends.
    keep = current_session_id() if user.id == current_user.id else None
    count = end_user_sessions(user.id, reason=reason, keep=keep)
    record_audit(
        "auth.sessions_end_all", target_type="user", target_id=user.id, details={"reason": reason, "ended": count}
    )
    return count


@bp.post("/admin/users/<int:user_id>/end-sessions")
@admin_required
@commit_on_success
def end_user_sessions_view(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    count = _end_sessions_of(user, "ended_by_admin")
    flash(ngettext("%(num)d session was ended.", "%(num)d sessions were ended.", count), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


# Routes of this blueprint kept in their own modules: passwords by email, the second factor.
from academy.auth import password_views, second_factor_views  # noqa: E402,F401
