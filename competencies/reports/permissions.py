"""Who may see which report: HR officers their agencies and what is beneath; admins everything."""

from __future__ import annotations

from typing import Any

from academy.auth.permissions import can_administer, people_scope
from academy.org.models import Agency


def can_view_reports(user: Any) -> bool:
    return people_scope(user) != []


def can_see_agency(user: Any, agency: Agency) -> bool:
    """The agency is one the user is scoped to, or beneath one (admins: any)."""
    scope = people_scope(user)
    if scope is None:
        return True
    return any(agency.path.startswith(root.path) for root in scope)


def can_rank_agencies(user: Any) -> bool:
    """Only academy admins compare agencies with each other."""
    return can_administer(user)


def visible_lineage(user: Any, agency: Agency) -> list[Agency]:
    """The agencies above this one (top first) that the user may see: the breadcrumb trail."""
    return [a for a in reversed(agency.lineage()) if can_see_agency(user, a)]
