"""Supervisors (ผู้บังคับบัญชา): who reports to whom, unit heads, and a supervisor's team.

A person reports to their own supervisor when they have one (HR import or HR's page); otherwise
to the head of their unit (the agency node they belong to); a unit head without a supervisor of
their own reports to the head of the unit directly above. A supervisor's *team* is their direct
reports; a unit head may also see the whole unit beneath them (every unit below it).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, aliased, joinedload

from academy.db import db
from academy.org.models import Agency, Person, PersonStatus


class SupervisionError(ValueError):
    """A supervisor that cannot be set (the message says why)."""


def _direct_condition(supervisor: Person) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [Person.supervisor_id == supervisor.id]
    if supervisor.is_unit_head:
        child_units = select(Agency.id).where(Agency.parent_id == supervisor.agency_id)
        conditions.append(
            and_(
                Person.supervisor_id.is_(None),
                Person.id != supervisor.id,
                or_(
                    and_(Person.agency_id == supervisor.agency_id, Person.is_unit_head.is_(False)),
                    and_(Person.agency_id.in_(child_units), Person.is_unit_head.is_(True)),
                ),
            )
        )
    return or_(*conditions)


def team_condition(supervisor: Person, whole_unit: bool = False) -> ColumnElement[bool]:
    """True for the active people of the supervisor's team (with ``whole_unit``: everyone in the units they head)."""
    condition = _direct_condition(supervisor)
    if whole_unit and supervisor.is_unit_head:
        unit_path = db.session.scalar(select(Agency.path).where(Agency.id == supervisor.agency_id)) or ""
        beneath = select(Agency.id).where(Agency.path.startswith(unit_path, autoescape=True))
        condition = or_(condition, and_(Person.agency_id.in_(beneath), Person.id != supervisor.id))
    return and_(condition, Person.status == PersonStatus.ACTIVE)


def team_query(supervisor: Person, whole_unit: bool = False) -> Select[Person]:
    """The supervisor's team, by name."""
    return (
        select(Person)
        .where(team_condition(supervisor, whole_unit))
        .options(joinedload(Person.agency), joinedload(Person.position_line), joinedload(Person.position_level))
        .order_by(Person.last_name_th, Person.first_name_th, Person.id)
    )


def has_reports(person: Person | None) -> bool:
    """Whether anyone reports to the person (a unit head always may have a team)."""
    if person is None:
        return False
    if person.is_unit_head:
        return True
    return bool(db.session.scalar(select(exists().where(_direct_condition(person)))))


def has_reports_condition(person_id: InstrumentedAttribute[int | None]) -> ColumnElement[bool]:
    """The SQL form of has_reports() for the person whose id is ``person_id`` (a column of an outer query)."""
    head, report = aliased(Person), aliased(Person)
    return or_(
        exists().where(head.id == person_id, head.is_unit_head.is_(True)),
        exists().where(report.supervisor_id == person_id),
    )


def in_team(supervisor: Person | None, person: Person, whole_unit: bool = True) -> bool:
    """Whether the person is in the supervisor's team (by default counting the whole unit they head)."""
    if supervisor is None or supervisor.id == person.id:
        return False
    return bool(
        db.session.scalar(select(exists().where(Person.id == person.id, team_condition(supervisor, whole_unit))))
    )


def unit_head(agency_id: int, excluding: int | None = None) -> Person | None:
    """The active head of a unit."""
    query = select(Person).where(
        Person.agency_id == agency_id, Person.is_unit_head.is_(True), Person.status == PersonStatus.ACTIVE
    )
    if excluding is not None:
        query = query.where(Person.id != excluding)
    return db.session.scalars(query.order_by(Person.id).limit(1)).first()


def effective_supervisor(person: Person) -> Person | None:
    """Whom the person reports to: their own supervisor, else their unit's head (a head: the unit above's)."""
    if person.supervisor is not None:
        return person.supervisor
    if not person.is_unit_head:
        return unit_head(person.agency_id, excluding=person.id)
    parent_id = db.session.scalar(select(Agency.parent_id).where(Agency.id == person.agency_id))
    return unit_head(parent_id) if parent_id is not None else None


def set_supervisor(person: Person, supervisor: Person | None) -> None:
    """Give the person a supervisor of their own (None: their unit's head again); no one supervises themself."""
    if supervisor is not None:
        chain: set[int] = set()
        current: Person | None = supervisor
        while current is not None and current.id not in chain:
            if current.id == person.id:
                raise SupervisionError("a person cannot supervise themself, directly or through others")
            chain.add(current.id)
            current = current.supervisor
    person.supervisor = supervisor
    db.session.flush()


def set_unit_head(person: Person, is_head: bool) -> None:
    """Mark (or unmark) the person as the head of their unit; a unit has one head."""
    if is_head:
        db.session.execute(
            update(Person)
            .where(Person.agency_id == person.agency_id, Person.id != person.id, Person.is_unit_head.is_(True))
            .values(is_unit_head=False)
            .execution_options(synchronize_session="fetch")
        )
    person.is_unit_head = is_head
    db.session.flush()


def find_supervisor(agency: Agency, employee_no: str) -> Person | None:
    """The person with this employee number in the agency or, failing that, the nearest agency above it."""
    lineage = agency.lineage()
    order = {a.id: depth for depth, a in enumerate(lineage)}
    found = db.session.scalars(
        select(Person).where(Person.employee_no == employee_no, Person.agency_id.in_(list(order)))
    ).all()
    return min(found, key=lambda p: order[p.agency_id], default=None)
