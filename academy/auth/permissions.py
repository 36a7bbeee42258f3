"""Who may see what. Every view asks these predicates; none decides on its own."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user, login_required

from academy.org.models import Agency

F = TypeVar("F", bound=Callable[..., Any])


def people_scope(user: Any) -> list[Agency] | None:
    """The agencies whose people a user may see: None means all (admins), [] means none."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_admin:
        return None
    if user.is_hr_officer:
        return user.scoped_agencies
    return []


def can_view_people(user: Any) -> bool:
    return people_scope(user) != []


def can_administer(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_admin)


def admin_required(view: F) -> F:
    """Let academy admins through (sign-in first for the anonymous; 403 for everyone else)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not can_administer(current_user):
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)
