"""Accounts: creation, authentication, roles and HR scopes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Select, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from academy.auth.models import HrScope, Role, User, UserRole
from academy.auth.passwords import password_problem
from academy.db import db
from academy.org.models import Agency, Person

#: The hash of a user who has not chosen a password yet: no password matches it (User.awaits_password).
UNUSABLE_PASSWORD = "!"

# Checked against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    *,
    email: str,
    password: str | None,
    display_name: str = "",
    roles: Iterable[Role] = (Role.LEARNER,),
    person: Person | None = None,
    agencies: Sequence[Agency] = (),
) -> User:
    """Add a user with a hashed password, roles and (for HR officers) agency scopes.

    Without a password (an invited user) no password signs them in until they set one.
    """
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError(f"not an email address: {email!r}")
    if get_user_by_email(email) is not None:
        raise AccountError(f"a user with email {email} already exists")
    user = User(email=email, display_name=display_name, person=person, active=True)
    if password is None:
        user.password_hash = UNUSABLE_PASSWORD
    else:
        set_password(user, password)
    db.session.add(user)
    set_roles(user, roles, agencies)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Hash and set a password that the policy allows (academy.auth.passwords), else AccountError."""
    problem = password_problem(password)
    if problem is not None:
        raise AccountError(problem)
    user.password_hash = generate_password_hash(password)


def set_roles(user: User, roles: Iterable[Role], agencies: Sequence[Agency] = ()) -> None:
    """Replace the user's roles and HR scopes; an HR officer needs at least one agency."""
    wanted = set(roles)
    if Role.HR_OFFICER in wanted and not agencies:
        raise AccountError("an HR officer needs at least one agency")
    user.role_rows = [UserRole(role=role) for role in sorted(wanted)]
    user.scope_rows = [HrScope(agency_id=agency.id) for agency in agencies] if Role.HR_OFFICER in wanted else []
    db.session.flush()


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with this email and password, else None."""
    user = get_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = datetime.now(UTC)
    return user


def users_query(q: str = "") -> Select[User]:
    """Users whose email contains ``q``, by email."""
    query = select(User).order_by(User.email)
    if q:
        query = query.where(func.lower(User.email).contains(q.strip().lower(), autoescape=True))
    return query
