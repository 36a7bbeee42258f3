"""Disclosure control: no published count, and no count a subtraction of published ones gives, is 1–4 people.

The audit plays the reader of the feed. It knows every published figure of every population
and both fiscal years, the parent of each record and which units are folded into it, and it
writes each figure as a sum of unknowns: the count among a record's people of one group
(IT, Non-IT) beyond its published sub-records. Every relation the README lists is then an
equation between published figures and those unknowns:

* record: untrained = headcount - trained (and the same for attained and every area): the
  unknowns' headcounts are known, so a count known is its complement known;
* parent and children: a record = its remainder + the sum of its published sub-records;
* populations: all = IT + Non-IT, for the same record and year;
* areas: each area's counts are unknowns of their own (nothing sums areas);
* years: trained of each year has its own unknowns; attained and the areas are the same
  people in both years' feeds, so both years' figures are equations on the same unknowns.

Gaussian elimination over the rationals then tries every subtraction, and every combination
of them, at once: a withheld figure must not be determined at all, and no determined count
of a record or remainder (or its complement) may be 1–4.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from academy.db import db
from academy.org.models import Agency, Person
from api.gdx.services.disclosure import RecordCounts, small, withhold
from competencies.models import AreaStanding, Framework, Standing, TrainingYear
from competencies.services.coverage import Population, PopulationFilter, coverage
from competencies.services.frameworks import areas_of
from tests.support.gdx import IT_LINE, NON_IT_LINE

YEARS = (2568, 2569)
GROUPS = ("it", "non_it")
POPULATION_GROUPS = {"it": ("it",), "non_it": ("non_it",), "all": ("it", "non_it")}
AREAS = ("DL", "DG", "DLS", "DT", "DS", "DU", "CS")

# --- the reader's audit ---------------------------------------------------------------------------------


@dataclass
class Published:
    """What a reader knows of one measure: the records' tree and headcounts, and each figure or None."""

    #: code -> the code of the nearest published record above it (None for a ministry)
    parent: dict[str, str | None]
    #: (code, group) -> headcount
    headcount: dict[tuple[str, str], int]
    #: (code, population) -> the published count, None when withheld; one dict per feed (year)
    figures: list[dict[tuple[str, str], int | None]] = field(default_factory=list)


@dataclass
class System:
    """Linear equations over the unknowns, reduced (row echelon form with pivots)."""

    unknowns: list[tuple[str, str]]
    rows: list[tuple[list[Fraction], Fraction]] = field(default_factory=list)
    pivots: list[int] = field(default_factory=list)

    def add(self, coefficients: list[Fraction], value: Fraction) -> None:
        coefficients, value = self.reduce(coefficients, value)
        column = next((i for i, c in enumerate(coefficients) if c), None)
        if column is None:
            assert value == 0, "the published figures contradict each other"
            return
        scale = coefficients[column]
        row = ([c / scale for c in coefficients], value / scale)
        for index, (other, other_value) in enumerate(self.rows):  # keep every row reduced by the new pivot
            factor = other[column]
            if factor:
                self.rows[index] = (
                    [a - factor * b for a, b in zip(other, row[0], strict=True)],
                    other_value - factor * row[1],
                )
        self.rows.append(row)
        self.pivots.append(column)

    def reduce(self, coefficients: list[Fraction], value: Fraction) -> tuple[list[Fraction], Fraction]:
        coefficients = list(coefficients)
        for (row, row_value), column in zip(self.rows, self.pivots, strict=True):
            factor = coefficients[column]
            if factor:
                coefficients = [a - factor * b for a, b in zip(coefficients, row, strict=True)]
                value -= factor * row_value
        return coefficients, value

    def solve(self, coefficients: list[Fraction]) -> Fraction | None:
        """The value of a combination of unknowns if the equations determine it."""
        residue, value = self.reduce(coefficients, Fraction(0))
        return -value if not any(residue) else None


def audit(published: Published) -> list[str]:
    """Every way the published figures give away a count of 1–4 people (empty when none)."""
    codes = list(published.parent)
    beneath = {code: [c for c in codes if published.parent[c] == code] for code in codes}

    def subtree(code: str) -> list[str]:
        return [code, *(c for child in beneath[code] for c in subtree(child))]

    def rest_headcount(code: str, group: str) -> int:
        return published.headcount[code, group] - sum(published.headcount[c, group] for c in beneath[code])

    unknowns = [(code, group) for code in codes for group in GROUPS if rest_headcount(code, group) > 0]
    position = {unknown: i for i, unknown in enumerate(unknowns)}
    system = System(unknowns)

    def vector(cells: Sequence[tuple[str, str]]) -> list[Fraction]:
        coefficients = [Fraction(0)] * len(unknowns)
        for cell in cells:
            if cell in position:
                coefficients[position[cell]] += 1
        return coefficients

    def cell(code: str, population: str) -> list[tuple[str, str]]:
        return [(c, g) for c in subtree(code) for g in POPULATION_GROUPS[population]]

    def rest(code: str, population: str) -> list[tuple[str, str]]:
        return [(code, g) for g in POPULATION_GROUPS[population]]

    for figures in published.figures:
        for (code, population), count in figures.items():
            if count is not None:
                system.add(vector(cell(code, population)), Fraction(count))
    problems = []
    for code in codes:
        for population, groups in POPULATION_GROUPS.items():
            people = sum(published.headcount[code, g] for g in groups)
            rest_people = sum(rest_headcount(code, g) for g in groups)
            for kind, cells, whole in (
                ("record", cell(code, population), people),
                ("rest", rest(code, population), rest_people),
            ):
                value = system.solve(vector(cells))
                withheld = any(f[code, population] is None for f in published.figures)
                if kind == "record" and withheld and whole and value is not None:
                    problems.append(f"{code} {population}: withheld, yet determined ({value})")
                if value is not None and small(int(value), whole):
                    problems.append(f"{code} {population} {kind}: {value} of {whole} can be worked out")
    return problems


def feed_knowledge(
    feeds: Mapping[tuple[int, str], list[dict[str, Any]]], measure: str, years: Sequence[int]
) -> Published:
    """One measure as the feed publishes it: its figures in every population, in the feeds of ``years``."""
    any_feed = feeds[years[0], "all"]
    shown = [r for r in any_feed if not r["suppressed"]]
    published_codes = {r["agency_code"] for r in shown}
    counted_in = {unit: r["agency_code"] for r in any_feed for unit in r["folded_units"]}
    parent: dict[str, str | None] = {}
    for record in shown:
        above = record["parent_code"]
        while above is not None and above not in published_codes:
            above = counted_in[above]
        parent[record["agency_code"]] = above
    by_population = {
        key: {r["agency_code"]: r for r in records if not r["suppressed"]} for key, records in feeds.items()
    }
    headcount = {
        (code, group): by_population[(years[0], group)][code]["headcount"] for code in parent for group in GROUPS
    }
    knowledge = Published(parent, headcount)
    for year in years:
        figures: dict[tuple[str, str], int | None] = {}
        for population in POPULATION_GROUPS:
            for code, record in by_population[(year, population)].items():
                figures[code, population] = figure(record, measure)
        knowledge.figures.append(figures)
    return knowledge


def figure(record: dict[str, Any], measure: str) -> int | None:
    if measure.startswith("areas."):
        return record["areas"][measure.removeprefix("areas.")]["attained"]
    return record[measure]


# --- a government with small cells everywhere ----------------------------------------------------------------

#: (code, parent, group, people, trained in 2569, trained in 2568, attained, DL, DG)
PLAN: list[tuple[str, str | None, str, int, int, int, int, int, int]] = [
    ("91", None, "it", 6, 3, 5, 1, 6, 2),
    ("91", None, "non_it", 20, 10, 9, 4, 17, 10),
    ("91001", "91", "it", 12, 6, 2, 3, 11, 6),
    ("91001", "91", "non_it", 8, 4, 7, 2, 8, 3),
    ("9100101", "91001", "it", 5, 2, 5, 0, 5, 1),  # an IT group of 5, 2 trained
    ("9100101", "91001", "non_it", 6, 5, 1, 6, 3, 0),  # 1 untrained
    ("9100102", "91001", "it", 7, 6, 0, 2, 7, 5),
    ("9100103", "91001", "it", 9, 4, 9, 9, 0, 4),
    ("9100103", "91001", "non_it", 5, 0, 3, 5, 5, 2),
    ("9100104", "91001", "it", 3, 1, 2, 1, 3, 0),  # folded into 91001
    ("91002", "91", "it", 8, 3, 8, 1, 8, 7),
    ("91002", "91", "non_it", 9, 7, 4, 0, 9, 9),
    ("9100201", "91002", "it", 6, 6, 3, 2, 6, 1),
    ("9100202", "91002", "non_it", 7, 1, 7, 7, 2, 6),
    ("91003", "91", "it", 20, 10, 11, 8, 15, 10),
    ("91003", "91", "non_it", 30, 15, 16, 12, 27, 14),
    ("92", None, "it", 5, 4, 0, 2, 5, 3),  # a second ministry, small throughout
    ("92", None, "non_it", 7, 3, 6, 7, 6, 1),
]


@pytest.fixture
def small_cells(
    standard: Framework, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> dict[str, Agency]:
    agencies: dict[str, Agency] = {}
    areas = {area.code: area.id for area in areas_of(standard)}
    for code, parent, group, people, trained_now, trained_before, attained, dl, dg in PLAN:
        if code not in agencies:
            agencies[code] = make_agency(code, parent=agencies[parent] if parent else None)
        for n in range(people):
            person = make_person(agencies[code], line=IT_LINE if group == "it" else NON_IT_LINE)
            db.session.add(Standing(person_id=person.id, meets_all=n < attained, updated_at=datetime.now(UTC)))
            # Trained in 2569: the first ones; in 2568: the last ones, so that the years differ in who.
            if n < trained_now:
                db.session.add(TrainingYear(person_id=person.id, fiscal_year=2569))
            if n >= people - trained_before:
                db.session.add(TrainingYear(person_id=person.id, fiscal_year=2568))
            for area, count in (("DL", dl), ("DG", dg)):
                if (n + 2) % people < count if area == "DG" else n < count:
                    db.session.add(AreaStanding(person_id=person.id, area_id=areas[area]))
    db.session.flush()
    return agencies


def whole_feeds(gdx_get: Callable[..., Any]) -> dict[tuple[int, str], list[dict[str, Any]]]:
    feeds = {}
    for year in YEARS:
        for population in POPULATION_GROUPS:
            response = gdx_get("/coverage", fiscal_year=year, population=population, per_page=1000)
            assert response.status_code == 200, response.get_data(as_text=True)
            feeds[year, population] = list(response.get_json()["data"])
    return feeds


def test_no_subtraction_of_published_figures_gives_a_count_of_1_to_4(
    gdx_get: Callable[..., Any], small_cells: dict[str, Agency]
) -> None:
    feeds = whole_feeds(gdx_get)
    it_feed = {r["agency_code"]: r for r in feeds[2569, "it"]}
    assert it_feed["9100101"]["headcount"] == 5 and it_feed["9100101"]["trained"] is None
    assert it_feed["9100101"]["suppressed_figures"] and "9100104" in it_feed["91001"]["folded_units"]
    for measure in ("trained", "attained", *(f"areas.{area}" for area in AREAS)):
        if measure == "trained":
            for year in YEARS:  # each year's trained are other people: unknowns of their own
                assert audit(feed_knowledge(feeds, measure, [year])) == [], (measure, year)
        else:  # the same people in both years' feeds: one set of unknowns, both years' equations
            assert audit(feed_knowledge(feeds, measure, YEARS)) == [], measure


def test_what_is_published_is_what_coverage_counts(
    gdx_get: Callable[..., Any], small_cells: dict[str, Agency], standard: Framework
) -> None:
    feeds = whole_feeds(gdx_get)
    published = 0
    for (year, population), records in feeds.items():
        expected = {r.agency.code: r for r in coverage(year, standard, PopulationFilter(Population(population)))}
        for record in records:
            if record["suppressed"]:
                continue
            want = expected[record["agency_code"]].figures
            assert record["headcount"] == want.headcount
            for name, value in (("trained", want.trained), ("attained", want.attained)):
                if record[name] is not None:
                    assert record[name] == value
                    published += 1
            for area in AREAS:
                if record["areas"][area]["attained"] is not None:
                    assert record["areas"][area]["attained"] == want.areas.get(area, 0)
                    published += 1
    assert published > 100


def test_measures_that_do_not_change_with_the_year_are_withheld_alike_in_every_year(
    gdx_get: Callable[..., Any], small_cells: dict[str, Agency]
) -> None:
    feeds = whole_feeds(gdx_get)
    for population in POPULATION_GROUPS:
        before = {r["agency_code"]: r for r in feeds[2568, population]}
        for record in feeds[2569, population]:
            other = before[record["agency_code"]]
            assert [f for f in record["suppressed_figures"] if f != "trained"] == [
                f for f in other["suppressed_figures"] if f != "trained"
            ]
            assert (record["attained"], record["areas"]) == (other["attained"], other["areas"])


def test_one_agency_asked_for_gets_the_record_of_the_whole_feed(
    gdx_get: Callable[..., Any], small_cells: dict[str, Agency]
) -> None:
    feeds = whole_feeds(gdx_get)
    for population in POPULATION_GROUPS:
        whole = {r["agency_code"]: r for r in feeds[2569, population]}
        for code in ("91", "9100101", "91003", "92"):
            one = gdx_get("/coverage", fiscal_year=2569, population=population, agency=code).get_json()["data"]
            assert one == [whole[code] | {"as_of": one[0]["as_of"]}]


# --- the rule on its own, on many made-up trees ----------------------------------------------------------


def made_up_tree(seed: int) -> tuple[list[RecordCounts], Published]:
    """A random tree whose headcounts folding would allow (each group and remainder 0 or at least 5)."""
    chance = random.Random(seed)
    parents: list[int | None] = [None]
    for number in range(1, chance.randint(1, 9)):
        parents.append(chance.randrange(number))
    rest_people = [tuple(chance.choice((0, 5, 6, 7, 9, 12, 20)) for _ in GROUPS) for _ in parents]
    rest_people[0] = (max(rest_people[0][0], 5), rest_people[0][1])
    rest_counts = [tuple(chance.randint(0, people) for people in pair) for pair in rest_people]

    def total(pairs: Sequence[tuple[int, ...]], number: int) -> tuple[int, int]:
        beneath = [total(pairs, c) for c, p in enumerate(parents) if p == number]
        return (pairs[number][0] + sum(b[0] for b in beneath), pairs[number][1] + sum(b[1] for b in beneath))

    records = [
        RecordCounts(number, parents[number], total(rest_people, number), {"m": total(rest_counts, number)})
        for number in range(len(parents))
    ]
    knowledge = Published(
        {str(r.agency_id): None if r.parent_id is None else str(r.parent_id) for r in records},
        {(str(r.agency_id), group): r.headcount[i] for r in records for i, group in enumerate(GROUPS)},
    )
    return records, knowledge


@pytest.mark.parametrize("seed", range(300))
def test_the_rule_leaves_nothing_to_work_out_in_made_up_trees(seed: int) -> None:
    records, knowledge = made_up_tree(seed)
    withheld = withhold(records, ["m"])
    figures: dict[tuple[str, str], int | None] = {}
    for record in records:
        for column, population in enumerate(("it", "non_it", "all")):
            count = record.counts["m"][column] if column < 2 else sum(record.counts["m"])
            figures[str(record.agency_id), population] = None if "m" in withheld[record.agency_id][column] else count
    knowledge.figures.append(figures)
    assert audit(knowledge) == []


@pytest.mark.parametrize("seed", range(60))
def test_the_it_column_is_decided_from_it_counts_alone(seed: int) -> None:
    # The IT feed computes no Non-IT coverage: its decision must be the one the other feeds make.
    records, _knowledge = made_up_tree(seed)
    chance = random.Random(-seed)
    scrambled = [
        RecordCounts(r.agency_id, r.parent_id, r.headcount, {"m": (r.counts["m"][0], chance.randint(0, 3))})
        for r in records
    ]
    with_everyone = withhold(records, ["m"])
    it_alone = withhold(scrambled, ["m"], everyone=False)
    assert {key: columns[0] for key, columns in with_everyone.items()} == {
        key: columns[0] for key, columns in it_alone.items()
    }


def tree_cells(parents: Sequence[int | None], values: Mapping[tuple[int, int], int]) -> dict[tuple[int, int], int]:
    """Each record's (IT, Non-IT, all) counts from the counts of its people beyond its sub-records."""

    def lineage(number: int) -> list[int]:
        above = parents[number]
        return [] if above is None else [above, *lineage(above)]

    out = {}
    for number in range(len(parents)):
        beneath = [n for n in range(len(parents)) if n == number or number in lineage(n)]
        it, non_it = (sum(values.get((n, g), 0) for n in beneath) for g in range(2))
        out[number, 0], out[number, 1], out[number, 2] = it, non_it, it + non_it
    return out


def test_no_withheld_small_count_can_be_shown_small_even_with_every_count_within_its_headcount() -> None:
    # Tiny trees, small enough to try every table: each withheld small count must be not small
    # in some table that agrees with everything published and keeps every count within 0..headcount.
    tried = 0
    for seed in range(400):
        chance = random.Random(seed)
        parents: list[int | None] = [None] + [chance.randrange(n) for n in range(1, chance.randint(1, 3))]
        people = [[chance.choice((0, 5, 6, 7, 9)) for _ in GROUPS] for _ in parents]
        people[0][0] = max(people[0][0], 5)
        atoms = [(n, g) for n in range(len(parents)) for g in range(2) if people[n][g]]
        if len(atoms) > 4:
            continue
        headcounts = tree_cells(parents, {atom: people[atom[0]][atom[1]] for atom in atoms})
        truth = tree_cells(parents, {atom: chance.randint(0, people[atom[0]][atom[1]]) for atom in atoms})
        records = [
            RecordCounts(n, parents[n], (headcounts[n, 0], headcounts[n, 1]), {"m": (truth[n, 0], truth[n, 1])})
            for n in range(len(parents))
        ]
        withheld = withhold(records, ["m"])
        published = {cell: value for cell, value in truth.items() if "m" not in withheld[cell[0]][cell[1]]}
        agreeing = []
        for combination in itertools.product(*(range(people[n][g] + 1) for n, g in atoms)):
            table = tree_cells(parents, dict(zip(atoms, combination, strict=True)))
            if all(table[cell] == value for cell, value in published.items()):
                agreeing.append(table)
        for cell, value in truth.items():
            if cell not in published and small(value, headcounts[cell]):
                tried += 1
                assert any(not small(table[cell], headcounts[cell]) for table in agreeing), (seed, cell)
    assert tried > 100
