"""Org events: what the org model tells the domains that keep something about people.

The shell sends them and knows no receiver (academy never imports a domain); a domain that
keeps a projection of people (competencies' standing) connects to them at start-up, for its app.
Receivers run in the sender's transaction, before its commit, like the statement pipeline's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class ErasedPerson:
    """What a receiver of ``person_erased`` needs to forget a person (academy.privacy.erasure)."""

    person_id: int
    user_id: int | None
    #: Every identifier key (academy.ifi) the person was known by: to be replaced or removed wherever stored.
    former_keys: frozenset[str]
    #: The one pseudonymous agent that replaces them: {"objectType": "Agent", "account": {...}}.
    pseudonym_agent: Mapping[str, Any]
    pseudonym_key: str


#: A person who has left was erased (PDPA, on an HR officer's request approved by an admin). Keyword
#: ``erased``: an :class:`ErasedPerson`. Receivers run in the eraser's transaction and replace or
#: remove what they keep under the former identifiers: the LRS rewrites its statements' agents and
#: drops the person's documents; the credentials package revokes the person's credentials. A
#: receiver may return a dict of counts, which goes into the erasure's audit entry.
person_erased = _signals.signal("person-erased")


def announce_person_erased(erased: ErasedPerson) -> dict[str, int]:
    """Tell this app's receivers that a person was erased; return their counts, merged."""
    counts: dict[str, int] = {}
    for _receiver, result in person_erased.send(current_app._get_current_object(), erased=erased):  # type: ignore[attr-defined]
        if isinstance(result, Mapping):
            counts.update(result)
    return counts
