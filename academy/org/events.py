"""Org events: what the org model tells the domains that keep something about people.

The shell sends them and knows no receiver (academy never imports a domain); a domain that
keeps a projection of people (competencies' standing) connects to them at start-up, for its app.
Receivers run in the sender's transaction, before its commit, like the statement pipeline's.
"""

from __future__ import annotations

from collections.abc import Iterable

from blinker import Namespace
from flask import current_app

_signals = Namespace()

#: People were created or changed (an import, an API upsert, a role-profile override) in ways that may
#: change what they are required to attain. Keyword ``person_ids``: a list of their ids, one event per
#: import or request (a bulk import of 400,000 people sends one event, not 400,000).
people_changed = _signals.signal("people-changed")


def announce_people_changed(person_ids: Iterable[int]) -> None:
    """Tell this app's receivers that these people changed (nothing is sent when there are none)."""
    ids = list(person_ids)
    if ids:
        # The app itself is the sender, so that each app's receivers hear only their own app.
        people_changed.send(current_app._get_current_object(), person_ids=ids)  # type: ignore[attr-defined]
