"""Who may see an IDP and who may take each step of its cycle.

A user stands to a person's plan in one or more capacities: the official themself, their
supervisor (the person they report to), an HR officer whose scope holds the person's agency, or
an academy admin. Each transition names the capacities that may take it.
"""

from __future__ import annotations

import enum
from typing import Any

from academy.auth.permissions import can_administer, people_scope
from academy.org.models import Person
from academy.org.supervision import effective_supervisor, has_reports, in_team
from competencies.idp.models import Idp, IdpState


class Capacity(enum.StrEnum):
    OWNER = "owner"
    SUPERVISOR = "supervisor"  # the person they report to
    TEAM_LEAD = "team_lead"  # anyone whose team (the whole unit below them) holds the person: sees
    HR = "hr"
    ADMIN = "admin"


#: action -> (the states it starts from, the state it leads to, who may take it).
TRANSITIONS: dict[str, tuple[frozenset[IdpState], IdpState, frozenset[Capacity]]] = {
    "submit": (frozenset({IdpState.DRAFT, IdpState.RETURNED}), IdpState.SUBMITTED, frozenset({Capacity.OWNER})),
    "withdraw": (frozenset({IdpState.SUBMITTED}), IdpState.DRAFT, frozenset({Capacity.OWNER})),
    "return": (frozenset({IdpState.SUBMITTED}), IdpState.RETURNED, frozenset({Capacity.SUPERVISOR, Capacity.ADMIN})),
    "agree": (frozenset({IdpState.SUBMITTED}), IdpState.AGREED, frozenset({Capacity.SUPERVISOR, Capacity.ADMIN})),
    "close": (
        frozenset({IdpState.AGREED}),
        IdpState.CLOSED,
        frozenset({Capacity.SUPERVISOR, Capacity.HR, Capacity.ADMIN}),
    ),
}
#: Goals and planned learning change while the plan is the official's to write.
EDITABLE = frozenset({IdpState.DRAFT, IdpState.RETURNED})
EDITORS = frozenset({Capacity.OWNER, Capacity.ADMIN})


def capacities(user: Any, person: Person) -> set[Capacity]:
    """The capacities in which the user stands to the person's plans."""
    if not getattr(user, "is_authenticated", False):
        return set()
    found: set[Capacity] = set()
    if user.person_id == person.id:
        found.add(Capacity.OWNER)
    if user.person is not None and user.person_id != person.id:
        supervisor = effective_supervisor(person)
        if supervisor is not None and supervisor.id == user.person_id:
            found |= {Capacity.SUPERVISOR, Capacity.TEAM_LEAD}
        elif in_team(user.person, person, whole_unit=True):
            found.add(Capacity.TEAM_LEAD)
    if can_administer(user):
        found.add(Capacity.ADMIN)
    elif user.is_hr_officer:
        scope = people_scope(user) or []
        if any(person.agency.path.startswith(root.path) for root in scope):
            found.add(Capacity.HR)
    return found


def can_view(user: Any, person: Person) -> bool:
    return bool(capacities(user, person))


def can_create(user: Any, person: Person) -> bool:
    return bool(capacities(user, person) & EDITORS)


def can_edit(user: Any, idp: Idp) -> bool:
    return idp.state in EDITABLE and bool(capacities(user, idp.person) & EDITORS)


def can_transition(user: Any, idp: Idp, action: str) -> bool:
    """Whether the user may take the action on the plan now (its state allows it and they may)."""
    if action not in TRANSITIONS:
        return False
    sources, _target, who = TRANSITIONS[action]
    return idp.state in sources and bool(capacities(user, idp.person) & who)


def allowed_actions(user: Any, idp: Idp) -> list[str]:
    mine = capacities(user, idp.person)
    return [a for a, (sources, _t, who) in TRANSITIONS.items() if idp.state in sources and mine & who]


def can_lead_team(user: Any) -> bool:
    """A user linked to a person whom others report to sees *My team*."""
    return bool(getattr(user, "is_authenticated", False) and has_reports(user.person))
