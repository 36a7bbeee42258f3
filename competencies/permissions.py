"""Who may do what with the skill standard."""

from __future__ import annotations

from typing import Any

from academy.auth.permissions import can_administer


def can_edit_frameworks(user: Any) -> bool:
    return can_administer(user)


def has_own_competencies(user: Any) -> bool:
    """A learner (a user who is a person) has a profile to compare with."""
    return bool(getattr(user, "is_authenticated", False) and user.person_id is not None)
