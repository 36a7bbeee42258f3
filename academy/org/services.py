"""Business rules of the organisation model: role profiles, agencies, identifiers, people."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import InstrumentedAttribute, joinedload
from sqlalchemy.sql.elements import UnaryExpression

from academy.db import db
from academy.ifi import ifi_key
from academy.org.models import (
    Agency,
    AgencyKind,
    IdentifierKind,
    Person,
    PersonIdentifier,
    PersonnelGroup,
    PersonStatus,
    PositionLine,
    RoleLevel,
)


@dataclass(frozen=True)
class RoleProfile:
    group: PersonnelGroup
    level: RoleLevel

    @property
    def code(self) -> str:
        """A stable code such as ``it-operational``."""
        return f"{self.group.value.replace('_', '-')}-{self.level.value}"


def derive_role_profile(
    *,
    line_is_it: bool,
    level_role_level: RoleLevel,
    is_cio: bool,
    group_override: PersonnelGroup | None = None,
    level_override: RoleLevel | None = None,
) -> RoleProfile:
    """Return the role profile a position implies; an admin's override wins.

    The group follows the position line (IT / Non-IT); the role level follows the
    position level's default (stored on the level, so admins can change it). A CIO
    is Executive IT, whatever the position.
    """
    group = PersonnelGroup.IT if line_is_it or is_cio else PersonnelGroup.NON_IT
    level = RoleLevel.EXECUTIVE if is_cio else level_role_level
    return RoleProfile(group_override or group, level_override or level)


def apply_role_profile(person: Person) -> RoleProfile:
    """Store the person's derived role profile on the person."""
    profile = derive_role_profile(
        line_is_it=person.position_line.is_it,
        level_role_level=person.position_level.role_level,
        is_cio=person.is_cio,
        group_override=person.personnel_group_override,
        level_override=person.role_level_override,
    )
    person.personnel_group, person.role_level = profile.group, profile.level
    return profile


def role_profile_of(person: Person) -> RoleProfile:
    return RoleProfile(person.personnel_group, person.role_level)


def set_role_profile_override(person: Person, group: PersonnelGroup | None, level: RoleLevel | None) -> RoleProfile:
    """Override (or, with None, restore) the derived role profile of a person."""
    person.personnel_group_override, person.role_level_override = group, level
    profile = apply_role_profile(person)
    db.session.flush()
    return profile


# --- identifiers -------------------------------------------------------------


def identifier_key(kind: IdentifierKind, value: str, home_page: str | None = None) -> str:
    """Return the canonical, unique form of an xAPI inverse functional identifier."""
    return ifi_key(kind.value, value, home_page)


def platform_account_key(base_url: str, public_id: uuid.UUID | str) -> str:
    """The identifier key of a person's own pseudonymous platform account."""
    return identifier_key(IdentifierKind.ACCOUNT, str(public_id), home_page=base_url)


def add_identifier(person: Person, kind: IdentifierKind, value: str, home_page: str | None = None) -> PersonIdentifier:
    """Register another identifier of a person; it must not belong to anyone yet."""
    key = identifier_key(kind, value, home_page)
    existing = db.session.scalar(select(PersonIdentifier).where(PersonIdentifier.key == key))
    if existing is not None:
        if existing.person_id == person.id:
            return existing
        raise ValueError(f"identifier {key} already belongs to another person")
    identifier = PersonIdentifier(kind=kind, key=key)
    person.identifiers.append(identifier)
    db.session.flush()
    return identifier


# --- agencies ----------------------------------------------------------------


def agency_path(code: str, parent: Agency | None) -> str:
    return f"{parent.path if parent else ''}{code}/"


def create_agency(*, code: str, name_th: str, name_en: str, kind: AgencyKind, parent: Agency | None = None) -> Agency:
    """Add an agency beneath its parent."""
    agency = Agency(
        code=code,
        name_th=name_th,
        name_en=name_en,
        kind=kind,
        parent=parent,
        path=agency_path(code, parent),
        depth=0 if parent is None else parent.depth + 1,
        is_active=True,
    )
    db.session.add(agency)
    db.session.flush()
    return agency


def subtree_condition(agencies: Sequence[Agency]) -> ColumnElement[bool]:
    """A condition true for agencies at or beneath any of the given agencies."""
    if not agencies:
        return Agency.id.is_(None)  # matches nothing
    return or_(*(Agency.path.startswith(agency.path, autoescape=True) for agency in agencies))


def list_agencies(within: Sequence[Agency] | None = None) -> list[Agency]:
    """Every agency in tree order (by path), or those beneath the given agencies."""
    query = select(Agency).order_by(Agency.path)
    if within is not None:
        query = query.where(subtree_condition(within))
    return list(db.session.scalars(query))


def search_agencies(q: str, within: Sequence[Agency] | None = None, limit: int = 20) -> list[Agency]:
    """Agencies whose code starts with, or whose Thai or English name contains, every word of ``q``."""
    query = select(Agency)
    if within is not None:
        query = query.where(subtree_condition(within))
    for word in q.split()[:5]:
        query = query.where(
            or_(Agency.code.startswith(word), Agency.name_th.ilike(f"%{word}%"), Agency.name_en.ilike(f"%{word}%"))
        )
    return list(db.session.scalars(query.order_by(Agency.depth, Agency.path).limit(limit)))


def agency_tree_matching(q: str, within: Sequence[Agency] | None = None) -> list[Agency]:
    """The agencies (tree order) that match ``q``, with the agencies above them to place them in the tree."""
    agencies = list_agencies(within)
    if not q.strip():
        return agencies
    words = [w.casefold() for w in q.split()[:5]]
    matched = [
        a
        for a in agencies
        if all(a.code.startswith(w) or w in a.name_th.casefold() or w in a.name_en.casefold() for w in words)
    ]
    shown: set[str] = set()
    for agency in matched:  # the agency and every agency above it (each a prefix of its path)
        parts = agency.path.rstrip("/").split("/")
        shown.update("/".join(parts[:depth]) + "/" for depth in range(1, len(parts) + 1))
    return [a for a in agencies if a.path in shown]


def get_agency_by_code(code: str) -> Agency | None:
    return db.session.scalar(select(Agency).where(Agency.code == code))


# --- people --------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleFilter:
    q: str = ""
    agency_id: int | None = None
    position_line_id: int | None = None
    personnel_group: PersonnelGroup | None = None
    status: PersonStatus | None = None
    #: One of PEOPLE_SORTS, ``-`` first for descending; unknown keys sort by name.
    sort: str = "name"


#: The orders a people list offers (``?sort=``), each ending in the id so pages never overlap.
PEOPLE_SORTS: dict[str, tuple[InstrumentedAttribute[Any], ...]] = {
    "name": (Person.last_name_th, Person.first_name_th),
    "employee_no": (Person.employee_no,),
    "position": (PositionLine.name_th, Person.position_level_id),
    "agency": (Agency.path,),
    "unit": (Agency.path,),
    "group": (Person.personnel_group, Person.role_level),
    "profile": (Person.personnel_group, Person.role_level),
    "status": (Person.status,),
}


def people_order(sort: str) -> list[UnaryExpression[Any]]:
    """The ORDER BY of a people list for a ``?sort=`` value (``name``, ``-employee_no``, ...)."""
    key = sort.removeprefix("-")
    columns = PEOPLE_SORTS.get(key, PEOPLE_SORTS["name"])
    descending = sort.startswith("-") and key in PEOPLE_SORTS
    return [
        *(c.desc() if descending else c.asc() for c in columns),
        Person.id.desc() if descending else Person.id.asc(),
    ]


def people_query(filters: PeopleFilter, within: Sequence[Agency] | None) -> Select[Person]:
    """People matching the filters, limited to the agencies given (None = everyone)."""
    query = select(Person).join(Person.agency)
    if within is not None:
        query = query.where(subtree_condition(within))
    if filters.agency_id is not None:
        chosen = db.session.get(Agency, filters.agency_id)
        query = query.where(subtree_condition([chosen] if chosen else []))
    if filters.position_line_id is not None:
        query = query.where(Person.position_line_id == filters.position_line_id)
    if filters.personnel_group is not None:
        query = query.where(Person.personnel_group == filters.personnel_group)
    if filters.status is not None:
        query = query.where(Person.status == filters.status)
    for word in filters.q.split():
        pattern = f"%{word}%"
        query = query.where(
            or_(
                Person.first_name_th.ilike(pattern),
                Person.last_name_th.ilike(pattern),
                Person.first_name_en.ilike(pattern),
                Person.last_name_en.ilike(pattern),
                Person.employee_no.ilike(pattern),
                Person.email.ilike(pattern),
            )
        )
    if filters.sort.removeprefix("-") == "position":
        query = query.join(PositionLine, PositionLine.id == Person.position_line_id)
    return query.options(
        joinedload(Person.agency), joinedload(Person.position_line), joinedload(Person.position_level)
    ).order_by(*people_order(filters.sort))


def get_person(public_id: uuid.UUID, within: Sequence[Agency] | None) -> Person | None:
    """The person with this public id, if they are within the given agencies (None = anywhere)."""
    query = select(Person).join(Person.agency).where(Person.public_id == public_id)
    if within is not None:
        query = query.where(subtree_condition(within))
    return db.session.scalar(query)


def list_position_lines() -> list[PositionLine]:
    return list(db.session.scalars(select(PositionLine).order_by(PositionLine.name_th)))
