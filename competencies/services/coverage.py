"""Gap analysis and coverage: the one place these figures are computed.

Coverage of an agency for a fiscal year (BE, October to September) counts the target
population of the agency and every unit beneath it: *trained* people have evidence from
at least one standard-aligned activity in the year; *attained* people meet every level
their role profile requires. HR pages, the API and the GDX feed all call ``coverage()``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, exists, func, select

from academy.db import db
from academy.org.models import Agency, AgencyKind, Person, PersonnelGroup, PersonStatus, RoleLevel
from competencies.models import (
    AreaStanding,
    Attainment,
    Competency,
    CoverageTarget,
    Evidence,
    Framework,
    RoleProfile,
    Standing,
    TrainingYear,
)
from competencies.services.frameworks import (
    applicable_requirements,
    areas_of,
    competencies_by_id,
    default_profiles,
    profile_for,
    requirements_by_profile,
    requirements_of,
)

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

    def includes(self, group: PersonnelGroup, level: RoleLevel) -> bool:
        """Whether people of this profile belong to the population."""
        if self.profile is not None:
            return self.profile == (group, level)
        if self.population is Population.IT:
            return group is PersonnelGroup.IT
        if self.population is Population.NON_IT:
            return group is PersonnelGroup.NON_IT
        return True


def population_from_label(label: str) -> PopulationFilter:
    """The filter a label names (``it``, ``all``, ``non_it``, or a profile such as ``non_it-executive``)."""
    if label in {p.value for p in Population}:
        return PopulationFilter(Population(label))
    group, _sep, level = label.rpartition("-")
    try:
        return PopulationFilter(profile=(PersonnelGroup(group), RoleLevel(level)))
    except ValueError:
        raise ValueError(f"unknown population {label!r}") from None


def population_choices() -> list[PopulationFilter]:
    """Every population a report can count: the groups, then the six profiles."""
    profiles = [
        PopulationFilter(profile=(group, level))
        for group in (PersonnelGroup.IT, PersonnelGroup.NON_IT)
        for level in (RoleLevel.OPERATIONAL, RoleLevel.SUPERVISOR, RoleLevel.EXECUTIVE)
    ]
    return [*(PopulationFilter(p) for p in (Population.IT, Population.ALL, Population.NON_IT)), *profiles]


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
    per_agency = _population_figures(fiscal_year, framework, population, agencies, by_agency=True)
    totals = _roll_up(tree, per_agency)
    now = datetime.now(UTC)
    target = target_for(fiscal_year)
    return [CoverageRecord(a, fiscal_year, population.label, totals[a.id], target, now) for a in tree]


def _population_figures(
    fiscal_year: int,
    framework: Framework,
    population: PopulationFilter,
    within: Sequence[Agency] | None,
    *,
    by_agency: bool,
) -> dict[int | None, Figures]:
    """The population's own figures: per agency (``by_agency``), or in all (key None) of the agencies ``within``.

    Two queries over the people (headcount, trained, attained; then each area met), counted in SQL.
    """
    from academy.org.services import subtree_condition

    # Joined, not a correlated EXISTS: at national scale (170,000 IT people of 3,000,000) the
    # planner then hashes the year's training rows once instead of probing them once a person.
    # A person has at most one row per fiscal year (the key), so the join multiplies no one.
    key = [Person.agency_id] if by_agency else []
    query = (
        select(
            *key,
            func.count(),
            func.count(TrainingYear.person_id),
            func.count().filter(Standing.meets_all.is_(True)),
        )
        .select_from(Person)
        .outerjoin(Standing, Standing.person_id == Person.id)
        .outerjoin(TrainingYear, and_(TrainingYear.person_id == Person.id, TrainingYear.fiscal_year == fiscal_year))
        .where(population.condition())
        .group_by(*key)
    )
    area_query = (
        select(*key, AreaStanding.area_id, func.count())
        .select_from(Person)
        .join(AreaStanding, AreaStanding.person_id == Person.id)
        .where(population.condition())
        .group_by(*key, AreaStanding.area_id)
    )
    if within is not None:
        # A subtree's people through its agencies (the tree joined by path), not an IN list of
        # its ids: the planner then expects each agency's share of the people, reads each unit's
        # range of the group-first index and probes the projections once a person, where the
        # list of a department's 71 units had it hash the whole of standings, the year's training
        # and the areas for its 6,767 IT people of 800,000 (bench/national.py).
        query = query.join(Agency, Agency.id == Person.agency_id).where(subtree_condition(within))
        area_query = area_query.join(Agency, Agency.id == Person.agency_id).where(subtree_condition(within))
    figures: dict[int | None, Figures] = {}
    for row in db.session.execute(query):
        headcount, trained_count, attained_count = row[-3:]
        figures[row[0] if by_agency else None] = Figures(headcount, trained_count, attained_count)
    codes = {area.id: area.code for area in areas_of(framework)}
    for row in db.session.execute(area_query):
        owner, (area_id, count) = row[0] if by_agency else None, row[-2:]
        if owner in figures and area_id in codes:
            figures[owner].areas[codes[area_id]] = count
    return figures


def _agencies_within(agencies: Sequence[Agency] | None) -> list[Agency]:
    from academy.org.services import list_agencies

    return list_agencies(agencies)


def _roll_up(tree: list[Agency], per_agency: dict[int | None, Figures]) -> dict[int, Figures]:
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
    """Coverage of one agency and the units beneath it.

    Counted in all, in SQL: the tree beneath is not loaded nor rolled up (``coverage()`` does,
    for each unit's figures), so a department of 400 units costs no more than its people.
    """
    figures = _population_figures(fiscal_year, framework, population, [agency], by_agency=False)
    return CoverageRecord(
        agency, fiscal_year, population.label, figures[None], target_for(fiscal_year), datetime.now(UTC)
    )


# --- report breakdowns (HR reports; each builds on coverage()) ---------------------------------


def coverage_of_units(
    agency: Agency, fiscal_year: int, framework: Framework, population: PopulationFilter = PopulationFilter()
) -> tuple[CoverageRecord, list[CoverageRecord]]:
    """Coverage of an agency and of each unit directly beneath it (each with its own units)."""
    records = coverage(fiscal_year, framework, population, [agency])
    own = next(r for r in records if r.agency.id == agency.id)
    return own, [r for r in records if r.agency.parent_id == agency.id]


@dataclass(frozen=True)
class ProfileCoverage:
    #: The academy-wide profile (its names and group/level); agencies' raised bars count under it.
    profile: RoleProfile
    record: CoverageRecord


def coverage_by_profile(
    agency: Agency, fiscal_year: int, framework: Framework, population: PopulationFilter = PopulationFilter()
) -> list[ProfileCoverage]:
    """Coverage of an agency for each of the six role profiles that belong to the population."""
    return [
        ProfileCoverage(
            profile,
            agency_coverage(
                agency, fiscal_year, framework, PopulationFilter(profile=(profile.personnel_group, profile.role_level))
            ),
        )
        for profile in default_profiles(framework)
        if population.includes(profile.personnel_group, profile.role_level)
    ]


def rank_agencies(
    fiscal_year: int,
    framework: Framework,
    population: PopulationFilter = PopulationFilter(),
    kind: AgencyKind = AgencyKind.MINISTRY,
) -> list[CoverageRecord]:
    """Every agency of a kind, best coverage first; agencies with nobody in the population last."""
    records = [r for r in coverage(fiscal_year, framework, population) if r.agency.kind is kind]
    return sorted(
        records, key=lambda r: (r.figures.headcount == 0, -r.coverage_percent, -r.attainment_percent, r.agency.code)
    )


@dataclass(frozen=True)
class TrendPoint:
    month: date  # the first day of the month
    newly_trained: int
    #: Trained from the start of the fiscal year to the end of this month.
    cumulative: int


def monthly_trend(
    agency: Agency, fiscal_year: int, population: PopulationFilter = PopulationFilter()
) -> list[TrendPoint]:
    """People trained by each month of the fiscal year (October to September), cumulatively.

    A person counts in the month of their first training evidence in the year, by the rule
    of the training-year projection that coverage counts (same sources, same Bangkok days), so
    September's cumulative figure equals coverage's *trained*.
    """
    from academy.dates import BANGKOK, fiscal_year_bounds
    from academy.org.services import subtree_condition
    from competencies.services.standing import TRAINING_SOURCES

    first_day, last_day = fiscal_year_bounds(fiscal_year)
    begin = datetime(first_day.year, first_day.month, first_day.day, tzinfo=BANGKOK)
    end = datetime(last_day.year, last_day.month, last_day.day, tzinfo=BANGKOK) + timedelta(days=1)
    firsts = db.session.execute(
        select(func.min(Evidence.achieved_at))
        .join(Person, Person.id == Evidence.person_id)
        .join(Agency, Agency.id == Person.agency_id)
        .where(
            Evidence.achieved_at >= begin,
            Evidence.achieved_at < end,
            Evidence.withdrawn_at.is_(None),
            Evidence.source.in_(TRAINING_SOURCES),
            population.condition(),
            subtree_condition([agency]),
            # Only the trained have such evidence: the projection rules out the rest cheaply.
            exists().where(TrainingYear.person_id == Person.id, TrainingYear.fiscal_year == fiscal_year),
        )
        .group_by(Evidence.person_id)
    ).scalars()
    per_month: dict[tuple[int, int], int] = {}
    for moment in firsts:
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(BANGKOK)  # SQLite: naive UTC
        per_month[(moment.year, moment.month)] = per_month.get((moment.year, moment.month), 0) + 1
    points, total = [], 0
    for offset in range(12):
        year, month = first_day.year + (first_day.month - 1 + offset) // 12, (first_day.month - 1 + offset) % 12 + 1
        new = per_month.get((year, month), 0)
        total += new
        points.append(TrendPoint(date(year, month, 1), new, total))
    return points


# --- a unit's people and their status ----------------------------------------------------------


@dataclass(frozen=True)
class PersonProgress:
    person: Person
    trained: bool  # in the fiscal year
    meets_profile: bool
    gaps: int  # required competencies not yet at the required level


#: Orders of a unit's people list beyond the people list's own (academy.org.services.PEOPLE_SORTS).
STATUS_SORTS = ("trained", "meets_profile")


def unit_people_query(
    agency: Agency,
    fiscal_year: int,
    population: PopulationFilter = PopulationFilter(),
    q: str = "",
    trained: bool | None = None,
    sort: str = "name",
) -> Select[Person]:
    """The people of an agency and its units in the population (searchable; trained or not in the year).

    ``sort`` is a people list's order (name, employee_no, position, unit, profile) or trained /
    meets_profile, ``-`` first for descending.
    """
    from academy.org.services import PeopleFilter, people_query

    key, descending = sort.removeprefix("-"), sort.startswith("-")
    query = people_query(
        PeopleFilter(q=q, agency_id=agency.id, sort="name" if key in STATUS_SORTS else sort), None
    ).where(population.condition())
    in_year = exists().where(TrainingYear.person_id == Person.id, TrainingYear.fiscal_year == fiscal_year)
    if trained is not None:
        query = query.where(in_year if trained else ~in_year)
    if key in STATUS_SORTS:
        meets = exists().where(Standing.person_id == Person.id, Standing.meets_all.is_(True))
        flag = in_year if key == "trained" else meets
        # Yes first when ascending (what an officer looks for), then by name.
        query = query.order_by(None).order_by(
            flag.asc() if descending else flag.desc(), Person.last_name_th, Person.first_name_th, Person.id
        )
    return query


def count_unit_people(
    agency: Agency,
    fiscal_year: int,
    population: PopulationFilter = PopulationFilter(),
    q: str = "",
    trained: bool | None = None,
) -> int:
    """How many people ``unit_people_query`` finds (whether an export is large enough to queue)."""
    query = unit_people_query(agency, fiscal_year, population, q=q, trained=trained).order_by(None)
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def untrained_people(agency: Agency, fiscal_year: int, profile: tuple[PersonnelGroup, RoleLevel]) -> Select[Person]:
    """The active people of a profile in an agency (and its units) not trained in the fiscal year.

    Whom the bulk action assigns a course to (a query: an agency's list can be long).
    """
    return unit_people_query(agency, fiscal_year, PopulationFilter(profile=profile), trained=False)


def people_status(people: Sequence[Person], fiscal_year: int, framework: Framework) -> list[PersonProgress]:
    """Each person's status: trained in the year, meets their profile, number of gaps."""
    ids = [p.id for p in people]
    trained = set(
        db.session.scalars(
            select(TrainingYear.person_id).where(
                TrainingYear.person_id.in_(ids), TrainingYear.fiscal_year == fiscal_year
            )
        )
    )
    meets = set(db.session.scalars(select(Standing.person_id).where(Standing.person_id.in_(ids), Standing.meets_all)))
    gaps = gap_counts(people, framework)
    return [PersonProgress(p, p.id in trained, p.id in meets, gaps.get(p.id, 0)) for p in people]


def iter_people_status(
    query: Select[Person], fiscal_year: int, framework: Framework, chunk: int = 2000
) -> Iterator[PersonProgress]:
    """The status of everyone a query selects, a chunk at a time (for exports)."""
    for people in db.session.scalars(query.execution_options(yield_per=chunk)).partitions():
        yield from people_status(people, fiscal_year, framework)


def gap_counts(people: Sequence[Person], framework: Framework) -> dict[int, int]:
    """How many required competencies each person has not reached, by the profile that applies to them.

    That profile is their agency's own (the nearest up the tree) or the default, as in
    ``profile_for``; here resolved for many people at once.
    """
    if not people:
        return {}
    profiles = requirements_by_profile(framework)
    owners = {owner for _group, _level, owner in profiles if owner is not None}
    owner_paths = dict(db.session.execute(select(Agency.path, Agency.id).where(Agency.id.in_(owners))).all())
    attained: dict[int, dict[int, int]] = {}
    for person_id, competency_id, reached in db.session.execute(
        select(Attainment.person_id, Attainment.competency_id, Attainment.level).where(
            Attainment.person_id.in_([p.id for p in people])
        )
    ):
        attained.setdefault(person_id, {})[competency_id] = reached
    counts = {}
    for person in people:
        needs = applicable_requirements(
            profiles, person.personnel_group, person.role_level, person.agency.path, owner_paths
        )
        mine = attained.get(person.id, {})
        counts[person.id] = sum(1 for cid, need in needs.items() if mine.get(cid, 0) < need)
    return counts
