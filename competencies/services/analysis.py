"""Gap analysis and coverage: the one place these figures are computed.

Coverage of an agency for a fiscal year (BE, October to September) counts the target
population of the agency and every unit beneath it: *trained* people have evidence from
at least one standard-aligned activity in the year; *attained* people meet every level
their role profile requires. HR pages, the API and the GDX feed all call ``coverage()``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, not_, select

from academy.dates import fiscal_year_bounds
from academy.db import db
from academy.org.models import Agency, Person, PersonnelGroup, PersonStatus, RoleLevel
from competencies.models import (
    Attainment,
    Competency,
    CoverageTarget,
    Evidence,
    EvidenceSource,
    Framework,
    Requirement,
    RoleProfile,
)
from competencies.services.frameworks import areas_of, profile_for, requirements_of

DEFAULT_TARGET = Decimal("60.00")


# --- a person's gaps ------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    competency: Competency
    required: int
    attained: int

    @property
    def gap(self) -> int:
        return max(self.required - self.attained, 0)


def person_gaps(person: Person, framework: Framework) -> list[Gap]:
    """Each competency the person's profile requires: required level, attained level, gap."""
    required = requirements_of(profile_for(person, framework))
    attained = dict(
        db.session.execute(
            select(Attainment.competency_id, Attainment.level).where(Attainment.person_id == person.id)
        ).all()
    )
    by_id = {c.id: c for c in framework.competencies}
    return [
        Gap(by_id[cid], level, attained.get(cid, 0))
        for cid, level in sorted(required.items(), key=lambda item: by_id[item[0]].sort_order)
    ]


# --- populations ------------------------------------------------------------------------------


class Population(enum.StrEnum):
    """Whom coverage counts: the IT group (the plan's target, the default), everyone, or Non-IT."""

    IT = "it"
    ALL = "all"
    NON_IT = "non_it"


@dataclass(frozen=True)
class PopulationFilter:
    population: Population = Population.IT
    #: One role profile instead, e.g. ("it", "executive").
    profile: tuple[PersonnelGroup, RoleLevel] | None = None

    def condition(self) -> ColumnElement[bool]:
        conditions = [Person.status == PersonStatus.ACTIVE]
        if self.profile is not None:
            conditions += [Person.personnel_group == self.profile[0], Person.role_level == self.profile[1]]
        elif self.population is Population.IT:
            conditions.append(Person.personnel_group == PersonnelGroup.IT)
        elif self.population is Population.NON_IT:
            conditions.append(Person.personnel_group == PersonnelGroup.NON_IT)
        return and_(*conditions)

    @property
    def label(self) -> str:
        if self.profile is not None:
            return f"{self.profile[0].value}-{self.profile[1].value}"
        return self.population.value


# --- coverage -----------------------------------------------------------------------------------


@dataclass
class Figures:
    headcount: int = 0
    trained: int = 0
    attained: int = 0
    areas: dict[str, int] = field(default_factory=dict)

    def add(self, other: Figures) -> None:
        self.headcount += other.headcount
        self.trained += other.trained
        self.attained += other.attained
        for code, count in other.areas.items():
            self.areas[code] = self.areas.get(code, 0) + count


def percent(part: int, whole: int) -> Decimal:
    return (Decimal(part * 100) / whole).quantize(Decimal("0.01")) if whole else Decimal("0.00")


@dataclass(frozen=True)
class CoverageRecord:
    agency: Agency
    fiscal_year: int
    population: str
    figures: Figures
    target_percent: Decimal
    as_of: datetime

    @property
    def coverage_percent(self) -> Decimal:
        return percent(self.figures.trained, self.figures.headcount)

    @property
    def attainment_percent(self) -> Decimal:
        return percent(self.figures.attained, self.figures.headcount)

    @property
    def meets_target(self) -> bool:
        return self.coverage_percent >= self.target_percent

    def area_percent(self, code: str) -> Decimal:
        return percent(self.figures.areas.get(code, 0), self.figures.headcount)


def target_for(fiscal_year: int) -> Decimal:
    target = db.session.get(CoverageTarget, fiscal_year)
    return target.target_percent if target else DEFAULT_TARGET


def _meets(requirement_filter: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """True for a person who meets every level their (default) profile requires, within the filter."""
    unmet = (
        select(Requirement.id)
        .join(RoleProfile, RoleProfile.id == Requirement.profile_id)
        .where(
            RoleProfile.agency_id.is_(None),
            RoleProfile.personnel_group == Person.personnel_group,
            RoleProfile.role_level == Person.role_level,
            Requirement.required_level > 0,
            not_(
                exists().where(
                    Attainment.person_id == Person.id,
                    Attainment.competency_id == Requirement.competency_id,
                    Attainment.level >= Requirement.required_level,
                )
            ),
        )
    )
    if requirement_filter is not None:
        unmet = unmet.where(requirement_filter)
    return not_(exists(unmet))


def coverage(
    fiscal_year: int,
    framework: Framework,
    population: PopulationFilter = PopulationFilter(),
    agencies: Sequence[Agency] | None = None,
) -> list[CoverageRecord]:
    """Coverage of each agency (its people and its units' together) for a fiscal year.

    With ``agencies``, only those agencies (and what is beneath them) are computed; the
    records then cover those agencies and every agency beneath them.
    """
    start, end = fiscal_year_bounds(fiscal_year)
    start_at = datetime.combine(start, time.min, UTC)
    end_at = datetime.combine(end, time.max, UTC)
    trained = exists().where(
        Evidence.person_id == Person.id,
        Evidence.withdrawn_at.is_(None),
        Evidence.source.in_([EvidenceSource.STATEMENT, EvidenceSource.COURSE]),
        Evidence.achieved_at >= start_at,
        Evidence.achieved_at <= end_at,
    )
    areas = areas_of(framework)
    area_columns = []
    for area in areas:
        in_area = Requirement.competency_id.in_(select(Competency.id).where(Competency.parent_id == area.id))
        area_columns.append(func.count().filter(_meets(in_area)).label(f"area_{area.id}"))
    query = (
        select(
            Person.agency_id,
            func.count(),
            func.count().filter(trained),
            func.count().filter(_meets(None)),
            *area_columns,
        )
        .where(population.condition())
        .group_by(Person.agency_id)
    )
    tree = _agencies_within(agencies)
    if agencies is not None:
        query = query.where(Person.agency_id.in_([a.id for a in tree]))
    per_agency: dict[int, Figures] = {}
    for row in db.session.execute(query):
        agency_id, headcount, trained_count, attained_count, *area_counts = row
        per_agency[agency_id] = Figures(
            headcount,
            trained_count,
            attained_count,
            {area.code: count for area, count in zip(areas, area_counts, strict=True)},
        )
    totals = _roll_up(tree, per_agency)
    now = datetime.now(UTC)
    target = target_for(fiscal_year)
    return [CoverageRecord(a, fiscal_year, population.label, totals[a.id], target, now) for a in tree]


def _agencies_within(agencies: Sequence[Agency] | None) -> list[Agency]:
    from academy.org.services import list_agencies

    return list_agencies(agencies)


def _roll_up(tree: list[Agency], per_agency: dict[int, Figures]) -> dict[int, Figures]:
    """Each agency's figures plus those of every agency beneath it."""
    totals = {agency.id: Figures() for agency in tree}
    by_path = {agency.path: agency.id for agency in tree}
    for agency in tree:
        own = per_agency.get(agency.id)
        if own is None:
            continue
        parts = agency.path.rstrip("/").split("/")
        for depth in range(1, len(parts) + 1):
            ancestor = by_path.get("/".join(parts[:depth]) + "/")
            if ancestor is not None:
                totals[ancestor].add(own)
    return totals


def agency_coverage(
    agency: Agency, fiscal_year: int, framework: Framework, population: PopulationFilter = PopulationFilter()
) -> CoverageRecord:
    """Coverage of one agency and the units beneath it."""
    return next(r for r in coverage(fiscal_year, framework, population, [agency]) if r.agency.id == agency.id)
