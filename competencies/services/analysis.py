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
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, exists, func, select

from academy.db import db
from academy.org.models import Agency, Person, PersonnelGroup, PersonStatus, RoleLevel
from competencies.models import AreaStanding, Attainment, Competency, CoverageTarget, Framework, Standing, TrainingYear
from competencies.services.frameworks import areas_of, competencies_by_id, profile_for, requirements_of

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
    by_id = competencies_by_id(framework)
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


def coverage(
    fiscal_year: int,
    framework: Framework,
    population: PopulationFilter = PopulationFilter(),
    agencies: Sequence[Agency] | None = None,
) -> list[CoverageRecord]:
    """Coverage of each agency (its people and its units' together) for a fiscal year.

    With ``agencies``, only those agencies and what is beneath them are computed. Counts
    come from the standing projection (kept with attainment), so this is grouped counting.
    """
    tree = _agencies_within(agencies)
    trained = exists().where(TrainingYear.person_id == Person.id, TrainingYear.fiscal_year == fiscal_year)
    query = (
        select(
            Person.agency_id,
            func.count(),
            func.count().filter(trained),
            func.count().filter(Standing.meets_all.is_(True)),
        )
        .outerjoin(Standing, Standing.person_id == Person.id)
        .where(population.condition())
        .group_by(Person.agency_id)
    )
    area_query = (
        select(Person.agency_id, AreaStanding.area_id, func.count())
        .join(AreaStanding, AreaStanding.person_id == Person.id)
        .where(population.condition())
        .group_by(Person.agency_id, AreaStanding.area_id)
    )
    if agencies is not None:
        ids = [a.id for a in tree]
        query = query.where(Person.agency_id.in_(ids))
        area_query = area_query.where(Person.agency_id.in_(ids))
    per_agency = {
        agency_id: Figures(headcount, trained_count, attained_count)
        for agency_id, headcount, trained_count, attained_count in db.session.execute(query)
    }
    codes = {area.id: area.code for area in areas_of(framework)}
    for agency_id, area_id, count in db.session.execute(area_query):
        if agency_id in per_agency and area_id in codes:
            per_agency[agency_id].areas[codes[area_id]] = count
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


@dataclass(frozen=True)
class RequirementCount:
    """How many people of a unit are required to reach a competency, and how many do."""

    competency: Competency
    required: int
    met: int


def unit_gaps(
    agency: Agency, framework: Framework, population: PopulationFilter = PopulationFilter()
) -> list[RequirementCount]:
    """Gap analysis of an agency and its units: per competency, people required and people meeting it."""
    from academy.org.services import subtree_condition
    from competencies.models import Requirement, RoleProfile

    meets = exists().where(
        Attainment.person_id == Person.id,
        Attainment.competency_id == Requirement.competency_id,
        Attainment.level >= Requirement.required_level,
    )
    rows = db.session.execute(
        select(Requirement.competency_id, func.count(), func.count().filter(meets))
        .select_from(Person)
        .join(Agency, Agency.id == Person.agency_id)
        .join(
            RoleProfile,
            and_(
                RoleProfile.personnel_group == Person.personnel_group,
                RoleProfile.role_level == Person.role_level,
                RoleProfile.framework_id == framework.id,
                RoleProfile.agency_id.is_(None),
            ),
        )
        .join(Requirement, and_(Requirement.profile_id == RoleProfile.id, Requirement.required_level > 0))
        .where(population.condition(), subtree_condition([agency]))
        .group_by(Requirement.competency_id)
    ).all()
    by_id = competencies_by_id(framework)
    return sorted(
        (RequirementCount(by_id[cid], required, met) for cid, required, met in rows),
        key=lambda row: row.competency.sort_order,
    )
