"""Who may see what. Every view asks these predicates; none decides on its own."""

from __future__ import annotations

from typing import Any

from academy.org.models import Agency


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
