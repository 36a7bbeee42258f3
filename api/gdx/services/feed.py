"""The GDX coverage feed: each agency's coverage as aggregate records, with small cells suppressed.

Every published figure comes from ``competencies.services.coverage.coverage()``. Publishing
them must not let anyone single out a person, so before anything leaves, small cells are
folded (deciding which takes the IT and Non-IT headcounts):

* a unit is published only if its population has at least ``MINIMUM_CELL`` people, and
  each personnel group (IT, Non-IT) in it is either empty or at least that large, so the
  IT, Non-IT and all-personnel views cannot be subtracted from each other into a small
  cell. A unit that is not published is folded into its nearest published ancestor,
  whose figures already include it (coverage counts each agency with the units beneath);
* the people a published record holds beyond its published sub-units (its own staff and
  its folded units) can be found by subtraction, so they too must be none or at least
  ``MINIMUM_CELL`` in each group; where not, the smallest sub-unit that fixes it is
  folded as well (complementary suppression);
* a top-level agency (ministry) has nowhere to fold into: it is published without
  figures when it is too small.

Every headcount that can be derived from the published records is then empty or holds at
least ``MINIMUM_CELL`` people. The other counts (trained, attained, per area) of 1–4 people,
or 1–4 short of their headcount, are withheld with enough others that none can be worked
out (``disclosure.withhold``); their records list them in ``suppressed_figures``.
Records carry no names, numbers or identifiers of people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from academy.db import db
from academy.org.models import Agency, Person, PersonnelGroup
from api.gdx.services.disclosure import ALL, IT, MINIMUM_CELL, NON_IT, RecordCounts, withhold
from competencies.idp.services.figures import IdpFigures, idp_group_totals
from competencies.models import Competency, Framework
from competencies.services.coverage import (
    CoverageRecord,
    Figures,
    Population,
    PopulationFilter,
    coverage,
    percent,
)
from competencies.services.frameworks import areas_of

__all__ = ["MINIMUM_CELL", "FeedEntry", "build_feed", "moment", "record_json", "suppress"]

#: The column of the disclosure decision each population reads.
COLUMN = {Population.IT: IT, Population.NON_IT: NON_IT, Population.ALL: ALL}

DATASET_ID = "academy-digital-skill-coverage"
DATASET_VERSION = "1.0"
#: When this dataset's definition was first published.
DATASET_CREATED = date(2026, 11, 22)

POPULATION_DEFINITIONS: dict[Population, tuple[str, str]] = {
    Population.IT: (
        "ข้าราชการพลเรือนที่ยังปฏิบัติราชการ ในกลุ่มเทคโนโลยีสารสนเทศและดิจิทัล (สายงานด้าน IT) — กลุ่มเป้าหมายของแผนพัฒนารัฐบาลดิจิทัล",
        "Active civil servants of the IT and digital group (IT position lines) — the target "
        "population of the digital-government plan",
    ),
    Population.ALL: (
        "ข้าราชการพลเรือนที่ยังปฏิบัติราชการทุกคน (กลุ่ม IT และกลุ่มที่ไม่ใช่ IT)",
        "All active civil servants (IT and Non-IT groups)",
    ),
    Population.NON_IT: (
        "ข้าราชการพลเรือนที่ยังปฏิบัติราชการ ในกลุ่มที่ไม่ใช่เทคโนโลยีสารสนเทศ (Non-IT)",
        "Active civil servants of the Non-IT group",
    ),
}


# --- suppression -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suppression:
    """Which agencies are published, and which record each folded one is counted in."""

    published: frozenset[int]
    #: Folded agency id -> the id of the emitted record it is counted in.
    folded_into: dict[int, int]


def _small(count: int) -> bool:
    return 0 < count < MINIMUM_CELL


def suppress(tree: Sequence[Agency], cells: Mapping[int, tuple[int, ...]]) -> Suppression:
    """Decide which agencies of a tree (in path order, parents first) may be published.

    ``cells`` gives, per agency id, the headcount of each disjoint group (IT, Non-IT)
    within the agency and everything beneath it.
    """
    by_id = {agency.id: agency for agency in tree}
    published = {
        agency.id
        for agency in tree
        if sum(cells[agency.id]) >= MINIMUM_CELL and not any(_small(c) for c in cells[agency.id])
    }
    while True:
        nearest = _nearest_published_ancestors(tree, by_id, published)
        offender = _first_small_remainder(tree, cells, published, nearest)
        if offender is None:
            break
        parent_id, group = offender
        # Fold the smallest published sub-unit with people of that group, and its subtree:
        # the remainder grows by at least MINIMUM_CELL in the group (the sub-unit was publishable).
        candidates = [
            by_id[child] for child in published if nearest.get(child) == parent_id and cells[child][group] > 0
        ]
        chosen = min(candidates, key=lambda agency: (sum(cells[agency.id]), agency.path))
        published -= {a.id for a in tree if a.path.startswith(chosen.path)}
    nearest = _nearest_published_ancestors(tree, by_id, published)
    folded_into: dict[int, int] = {}
    for agency in tree:
        if agency.id in published or agency.parent_id not in by_id:
            continue  # published, or a root of the tree (always emitted)
        folded_into[agency.id] = nearest.get(agency.id) or _root_of(agency, by_id).id
    return Suppression(frozenset(published), folded_into)


def _root_of(agency: Agency, by_id: Mapping[int, Agency]) -> Agency:
    while agency.parent_id in by_id:
        agency = by_id[agency.parent_id]  # type: ignore[index]
    return agency


def _nearest_published_ancestors(
    tree: Sequence[Agency], by_id: Mapping[int, Agency], published: set[int]
) -> dict[int, int]:
    nearest: dict[int, int] = {}
    for agency in tree:  # parents come first
        parent = agency.parent_id
        if parent is None or parent not in by_id:
            continue
        if parent in published:
            nearest[agency.id] = parent
        elif parent in nearest:
            nearest[agency.id] = nearest[parent]
    return nearest


def _first_small_remainder(
    tree: Sequence[Agency], cells: Mapping[int, tuple[int, ...]], published: set[int], nearest: Mapping[int, int]
) -> tuple[int, int] | None:
    """A published agency, and a group, whose people beyond its published sub-units are a small cell."""
    remainder = {agency_id: list(cells[agency_id]) for agency_id in published}
    for agency_id in published:
        parent = nearest.get(agency_id)
        if parent is not None:
            for group, count in enumerate(cells[agency_id]):
                remainder[parent][group] -= count
    for agency in reversed(tree):  # deepest first: folding there loses the least
        if agency.id in remainder:
            for group, count in enumerate(remainder[agency.id]):
                if _small(count):
                    return agency.id, group
    return None


# --- the feed -------------------------------------------------------------------------------------


@dataclass
class FeedEntry:
    """One published record: an agency's coverage, or only its identity when too small to show."""

    record: CoverageRecord
    parent_code: str | None
    suppressed: bool = False
    folded_units: list[str] = field(default_factory=list)
    #: Figures withheld to protect small groups: "trained", "attained", "areas.<code>", "idp_agreed", ...
    withheld: frozenset[str] = frozenset()
    #: The population's development-plan figures (people counts; protected like the others).
    idp: IdpFigures | None = None


#: The development-plan counts a record publishes: people with an agreed plan, and with every goal of it met.
IDP_MEASURES = ("idp_agreed", "idp_all_goals_met")


def measures(framework: Framework) -> list[str]:
    """The counts a record publishes besides its headcount, as disclosure control names them."""
    return ["trained", "attained", *(f"areas.{area.code}" for area in areas_of(framework)), *IDP_MEASURES]


def _idp_counts(idp: Mapping[PersonnelGroup, IdpFigures]) -> dict[str, tuple[int, int]]:
    it, non_it = idp.get(PersonnelGroup.IT, IdpFigures()), idp.get(PersonnelGroup.NON_IT, IdpFigures())
    return {"idp_agreed": (it.agreed, non_it.agreed), "idp_all_goals_met": (it.all_met, non_it.all_met)}


def _idp_of(idp: Mapping[PersonnelGroup, IdpFigures], population: Population) -> IdpFigures:
    if population is Population.IT:
        return idp.get(PersonnelGroup.IT, IdpFigures())
    if population is Population.NON_IT:
        return idp.get(PersonnelGroup.NON_IT, IdpFigures())
    both = IdpFigures()
    for figures in idp.values():
        both.add(figures)
    return both


def _counts(
    it_record: CoverageRecord, non_it_record: CoverageRecord, names: Sequence[str]
) -> dict[str, tuple[int, int]]:
    it, non_it = it_record.figures, non_it_record.figures
    counts = {"trained": (it.trained, non_it.trained), "attained": (it.attained, non_it.attained)}
    for name in names[2:]:
        if name in IDP_MEASURES:
            continue
        code = name.removeprefix("areas.")
        counts[name] = (it.areas.get(code, 0), non_it.areas.get(code, 0))
    return counts


def group_headcounts(tree: Sequence[Agency], whole_tree: bool) -> dict[int, tuple[int, int]]:
    """Per agency (with everything beneath it): the people of the IT group and of the Non-IT group.

    Only suppression reads these. They count the people coverage() counts (the same
    PopulationFilter condition, split by the group its IT and Non-IT filters use), in one
    grouped count: a second coverage() would compute training and attainment of every
    Non-IT person for two numbers an agency.
    """
    index = {PersonnelGroup.IT: 0, PersonnelGroup.NON_IT: 1}
    own: dict[int, list[int]] = {agency.id: [0, 0] for agency in tree}
    query = (
        select(Person.agency_id, Person.personnel_group, func.count())
        .where(PopulationFilter(Population.ALL).condition())
        .group_by(Person.agency_id, Person.personnel_group)
    )
    if not whole_tree:
        query = query.where(Person.agency_id.in_(list(own)))
    for agency_id, group, count in db.session.execute(query):
        if agency_id in own:
            own[agency_id][index[group]] += count
    for agency in reversed(tree):  # children before their parents
        if agency.parent_id is not None and agency.parent_id in own:
            parent = own[agency.parent_id]
            parent[0] += own[agency.id][0]
            parent[1] += own[agency.id][1]
    return {agency_id: (counts[0], counts[1]) for agency_id, counts in own.items()}


def build_feed(
    fiscal_year: int,
    framework: Framework,
    population: Population = Population.IT,
    within: Agency | None = None,
) -> list[FeedEntry]:
    """The published records of every agency, or of the ministry tree holding ``within``, in tree order.

    The IT feed needs only the IT group's coverage (and both groups' headcounts, for
    folding): its withheld figures are decided from IT counts alone. The Non-IT and
    all-personnel feeds take both groups' coverage, as what they may show depends on
    the IT figures (all = IT + Non-IT).
    """
    roots = None if within is None else [within.lineage()[-1]]
    it_view = coverage(fiscal_year, framework, PopulationFilter(Population.IT), roots)
    tree = [record.agency for record in it_view]
    idp = idp_group_totals(fiscal_year, roots)
    everyone = population is not Population.IT
    if everyone:
        non_it_view = coverage(fiscal_year, framework, PopulationFilter(Population.NON_IT), roots)
        cells = {
            it.agency.id: (it.figures.headcount, non.figures.headcount)
            for it, non in zip(it_view, non_it_view, strict=True)
        }
    else:
        # Only folding reads the Non-IT figures here: their headcounts, not a second coverage(). The
        # plans' figures below count the same active people per agency and group (rolled up): taken
        # from there, not from a second pass over everyone (3,000,000 people at national scale).
        cells = {
            agency.id: (idp[agency.id][PersonnelGroup.IT].headcount, idp[agency.id][PersonnelGroup.NON_IT].headcount)
            for agency in tree
        }
        non_it_view = [
            CoverageRecord(r.agency, fiscal_year, "non_it", Figures(cells[r.agency.id][1]), r.target_percent, r.as_of)
            for r in it_view
        ]
    pairs = {it.agency.id: (it, non) for it, non in zip(it_view, non_it_view, strict=True)}
    decision = suppress(tree, cells)
    names = measures(framework)
    by_id = {agency.id: agency for agency in tree}
    nearest = _nearest_published_ancestors(tree, by_id, set(decision.published))
    withheld = withhold(
        [
            RecordCounts(
                agency.id,
                nearest.get(agency.id),
                cells[agency.id],
                {**_counts(*pairs[agency.id], names), **_idp_counts(idp.get(agency.id, {}))},
            )
            for agency in tree
            if agency.id in decision.published
        ],
        names,
        everyone=everyone,
    )
    codes = {agency.id: agency.code for agency in tree}
    entries: dict[int, FeedEntry] = {}
    for agency in tree:
        record = _population_record(*pairs[agency.id], population)
        parent_code = codes.get(agency.parent_id) if agency.parent_id is not None else None
        if agency.id in decision.published:
            entries[agency.id] = FeedEntry(
                record,
                parent_code,
                withheld=withheld[agency.id][COLUMN[population]],
                idp=_idp_of(idp.get(agency.id, {}), population),
            )
        elif agency.id not in decision.folded_into:  # a root too small to show
            entries[agency.id] = FeedEntry(record, parent_code, suppressed=True)
    for folded, into in decision.folded_into.items():
        entries[into].folded_units.append(codes[folded])
    for entry in entries.values():
        entry.folded_units.sort()
    return list(entries.values())


def _population_record(it: CoverageRecord, non_it: CoverageRecord, population: Population) -> CoverageRecord:
    """The record of the population asked for; everyone's figures are the two groups' together."""
    if population is Population.IT:
        return it
    if population is Population.NON_IT:
        return non_it
    figures = Figures()
    figures.add(it.figures)
    figures.add(non_it.figures)
    label = PopulationFilter(Population.ALL).label
    return CoverageRecord(it.agency, it.fiscal_year, label, figures, it.target_percent, it.as_of)


# --- serialisation --------------------------------------------------------------------------------


def _number(value: Any) -> float:
    return float(value)


def moment(value: datetime) -> str:
    """A time as the feed writes it: ISO 8601 in UTC, to the second."""
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def record_json(entry: FeedEntry, areas: Sequence[Competency], population: Population) -> dict[str, Any]:
    """The record as published: agency, population, figures, per-area figures, as-of; nothing about people."""
    record = entry.record
    agency = record.agency
    definition_th, definition_en = POPULATION_DEFINITIONS[population]
    figures: Figures | None = None if entry.suppressed else record.figures
    data: dict[str, Any] = {
        "agency_code": agency.code,
        "agency_name_th": agency.name_th,
        "agency_name_en": agency.name_en,
        "agency_kind": agency.kind.value,
        "parent_code": entry.parent_code,
        "fiscal_year": record.fiscal_year,
        "population": population.value,
        "population_definition_th": definition_th,
        "population_definition_en": definition_en,
        "suppressed": entry.suppressed,
        "headcount": None,
        "trained": None,
        "coverage_percent": None,
        "attained": None,
        "attainment_percent": None,
        "target_percent": _number(record.target_percent),
        "meets_target": None,
        "areas": None,
        "folded_units": entry.folded_units,
        "suppressed_figures": sorted(entry.withheld),
        "as_of": moment(record.as_of),
    }
    if figures is not None:
        withheld = entry.withheld
        data["headcount"] = figures.headcount
        if "trained" not in withheld:  # a percentage or a comparison tells what its count does
            data["trained"] = figures.trained
            data["coverage_percent"] = _number(record.coverage_percent)
            data["meets_target"] = record.meets_target
        if "attained" not in withheld:
            data["attained"] = figures.attained
            data["attainment_percent"] = _number(record.attainment_percent)
        data["areas"] = {area.code: _area(figures, area.code, withheld) for area in areas}
    data["idp"] = _idp(entry, figures.headcount if figures is not None else 0)
    return data


def _idp(entry: FeedEntry, headcount: int) -> dict[str, Any]:
    """People with an agreed development plan, and with every goal of it met; each withheld when small."""
    values: dict[str, Any] = {"agreed": None, "agreed_percent": None, "all_goals_met": None}
    if entry.suppressed or entry.idp is None:
        return values
    if "idp_agreed" not in entry.withheld:
        values["agreed"] = entry.idp.agreed
        values["agreed_percent"] = _number(percent(entry.idp.agreed, headcount))
    if "idp_all_goals_met" not in entry.withheld:
        values["all_goals_met"] = entry.idp.all_met
    return values


def _area(figures: Figures, code: str, withheld: frozenset[str]) -> dict[str, Any]:
    if f"areas.{code}" in withheld:
        return {"attained": None, "attainment_percent": None}
    count = figures.areas.get(code, 0)
    return {"attained": count, "attainment_percent": _number(percent(count, figures.headcount))}
