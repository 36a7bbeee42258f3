"""Competencies' events: requirements changed; and its receivers of the org events, which refresh standing.

Standing (does a person meet their role profile?) depends on the person's profile and on the
requirements of that profile; whoever changes either sends an event, and the receivers here refresh
the standing of the people concerned, in the sender's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from blinker import Namespace
from flask import Flask, current_app
from sqlalchemy import and_, or_, select

from academy.db import db
from academy.org.events import people_changed
from academy.org.models import Person, PersonnelGroup, RoleLevel
from competencies.services.standing import refresh_standing

_signals = Namespace()

#: The required levels of some role profiles changed (the requirement matrix). Keyword ``profiles``:
#: a list of (personnel group, role level) pairs; whoever holds one of them may now meet it, or no longer.
requirements_changed = _signals.signal("requirements-changed")


def announce_requirements_changed(profiles: Iterable[tuple[PersonnelGroup, RoleLevel]]) -> None:
    """Tell this app's receivers that the requirements of these role profiles changed (nothing sent if none)."""
    pairs = list(dict.fromkeys(profiles))
    if pairs:
        # The app itself is the sender, so that each app's receivers hear only their own app.
        requirements_changed.send(current_app._get_current_object(), profiles=pairs)  # type: ignore[attr-defined]


def connect_org_events(app: Flask) -> None:
    """Refresh standing, for this app, when people or the requirements of their profiles change."""
    people_changed.connect(_refresh_changed_people, sender=app)
    requirements_changed.connect(_refresh_profile_holders, sender=app)


def _refresh_changed_people(_app: Flask, *, person_ids: list[int], **_extra: Any) -> None:
    # Changed positions (or overrides) change role profiles: refresh what coverage counts about them.
    refresh_standing(person_ids)


def _refresh_profile_holders(_app: Flask, *, profiles: list[tuple[PersonnelGroup, RoleLevel]], **_extra: Any) -> None:
    holders = or_(*(and_(Person.personnel_group == group, Person.role_level == level) for group, level in profiles))
    refresh_standing(db.session.scalars(select(Person.id).where(holders)).all())
