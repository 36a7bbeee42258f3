"""Sign-in, sign-out and user management."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from academy.audit.services import record_audit
from academy.auth.forms import ROLE_LABELS, LoginForm, UserForm
from academy.auth.models import Role, User
from academy.auth.permissions import can_administer
from academy.auth.services import AccountError, authenticate, create_user, set_password, set_roles, users_query
from academy.extensions import db, limiter
from academy.inputs import paginate
from academy.org.models import Agency, Person
from academy.org.services import get_agency_by_code

bp = Blueprint("auth", __name__, template_folder="templates")


def _login_limit() -> str:
    return str(current_app.config["ACADEMY_LOGIN_RATE_LIMIT"])


def _login_account_key() -> str:
    return "account:" + request.form.get("email", "").strip().lower()


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], scope="login-address")
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_account_key, scope="login-account")
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            record_audit("auth.login_failed", details={"email": (form.email.data or "").strip().lower()})
            db.session.commit()
            flash(_("Wrong email or password."), "error")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=bool(form.remember.data))
        record_audit("auth.login", target_type="user", target_id=user.id)
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    record_audit("auth.logout", target_type="user", target_id=current_user.id)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


# --- user management (academy admins) ------------------------------------------


def _require_admin() -> None:
    if not can_administer(current_user):
        abort(403)


@bp.get("/admin/users")
@login_required
def users() -> ResponseReturnValue:
    _require_admin()
    q = request.args.get("q", "")
    page = paginate(users_query(q), 50)
    return render_template("auth/users.html", page=page, q=q, role_labels=ROLE_LABELS)


def _parse_agencies(text: str) -> list[Agency]:
    agencies = []
    for code in filter(None, (part.strip() for part in text.split(","))):
        agency = get_agency_by_code(code)
        if agency is None:
            raise AccountError(_("No agency has the code %(code)s.", code=code))
        agencies.append(agency)
    return agencies


def _parse_person(text: str) -> Person | None:
    if not text.strip():
        return None
    agency_code, _sep, employee_no = text.strip().partition(":")
    person = db.session.scalar(
        select(Person).join(Person.agency).where(Agency.code == agency_code, Person.employee_no == employee_no)
    )
    if person is None:
        raise AccountError(_("No person has the employee number %(ref)s.", ref=text.strip()))
    return person


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int | None = None) -> ResponseReturnValue:
    _require_admin()
    user = None if user_id is None else db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if request.method == "GET" and user is not None:
        form.roles.data = [role.value for role in user.roles]
        form.agency_codes.data = ", ".join(agency.code for agency in user.scoped_agencies)
        form.employee.data = f"{user.person.agency.code}:{user.person.employee_no}" if user.person else ""
    if form.validate_on_submit():
        try:
            roles = [Role(value) for value in form.roles.data or []]
            agencies = _parse_agencies(form.agency_codes.data or "")
            person = _parse_person(form.employee.data or "")
            if user is None:
                if not form.password.data:
                    raise AccountError(_("A new user needs a password."))
                user = create_user(
                    email=form.email.data or "",
                    password=form.password.data,
                    display_name=form.display_name.data or "",
                    roles=roles,
                    agencies=agencies,
                    person=person,
                )
                record_audit("user.create", target_type="user", target_id=user.id, details={"email": user.email})
            else:
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
        except AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template("auth/user_form.html", form=form, user=user), 400
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/user_form.html", form=form, user=user), status
