"""The coverage feed: coverage()'s figures, pages, one agency, metadata, no personal data, small cells folded."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from academy.org.models import Agency, AgencyKind, PersonnelGroup
from api.gdx.services.feed import group_headcounts, suppress
from competencies.models import Framework
from competencies.services.coverage import Population, PopulationFilter, coverage
from tests.support.gdx import FISCAL_YEAR, Government

RECORD_FIELDS = {
    "agency_code",
    "agency_name_th",
    "agency_name_en",
    "agency_kind",
    "parent_code",
    "fiscal_year",
    "population",
    "population_definition_th",
    "population_definition_en",
    "suppressed",
    "headcount",
    "idp",
    "trained",
    "coverage_percent",
    "attained",
    "attainment_percent",
    "target_percent",
    "meets_target",
    "areas",
    "folded_units",
    "suppressed_figures",
    "as_of",
}


def feed(gdx_get: Callable[..., Any], **query: Any) -> dict[str, Any]:
    response = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=1000, **query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {record["agency_code"]: record for record in body["data"]}


@pytest.mark.parametrize("population", [Population.IT, Population.ALL, Population.NON_IT])
def test_published_records_carry_the_figures_of_coverage(
    gdx_get: Callable[..., Any], government: Government, standard: Framework, population: Population
) -> None:
    body = feed(gdx_get, population=population.value)
    published = by_code(body)
    expected = {
        r.agency.code: r for r in coverage(FISCAL_YEAR, standard, PopulationFilter(population), [government.ministry])
    }
    assert published, "the feed publishes records"
    shown = 0
    for code, record in published.items():
        assert set(record) == RECORD_FIELDS
        want = expected[code]
        withheld = set(record["suppressed_figures"])
        assert record["headcount"] == want.figures.headcount
        if "trained" in withheld:
            assert [record["trained"], record["coverage_percent"], record["meets_target"]] == [None] * 3
        else:
            assert record["trained"] == want.figures.trained
            assert record["coverage_percent"] == float(want.coverage_percent)
            assert record["meets_target"] == want.meets_target
        if "attained" in withheld:
            assert [record["attained"], record["attainment_percent"]] == [None] * 2
        else:
            assert record["attained"] == want.figures.attained
            assert record["attainment_percent"] == float(want.attainment_percent)
        assert record["target_percent"] == 60.0
        assert record["fiscal_year"] == FISCAL_YEAR and record["population"] == population.value
        assert list(record["areas"]) == ["DL", "DG", "DLS", "DT", "DS", "DU", "CS"]
        for area, figures in record["areas"].items():
            if f"areas.{area}" in withheld:
                assert figures == {"attained": None, "attainment_percent": None}
            else:
                assert figures["attained"] == want.figures.areas.get(area, 0)
                assert figures["attainment_percent"] == float(want.area_percent(area))
        shown += len({"trained", "attained", *(f"areas.{area}" for area in record["areas"])} - withheld)
        assert record["as_of"].endswith("Z")
    assert shown, "some figures are published, not only withheld"
    ministry = published["71"]
    assert ministry["agency_name_th"] == "กระทรวงทดสอบ" and ministry["agency_name_en"] == "Ministry of Testing"
    assert ministry["parent_code"] is None and published["71001"]["parent_code"] == "71"
    assert published["71001"]["agency_kind"] == AgencyKind.DEPARTMENT.value


def test_the_it_feed_has_every_agency_once_as_a_record_or_folded_into_one(
    gdx_get: Callable[..., Any], government: Government
) -> None:
    body = feed(gdx_get)
    published = by_code(body)
    assert set(published) == {"71", "71001", "7100101", "71002"}
    folded = [code for record in body["data"] for code in record["folded_units"]]
    assert sorted([*published, *folded]) == sorted(["71", "71001", "7100101", "7100102", "71002"])


def test_a_unit_with_fewer_than_5_people_is_folded_into_its_parent(
    gdx_get: Callable[..., Any], government: Government, standard: Framework
) -> None:
    published = by_code(feed(gdx_get))
    assert "7100102" not in published  # 3 IT officers: not published on its own
    department = published["71001"]
    assert department["folded_units"] == ["7100102"]
    # Its people are counted in the department: its own 12, the division's 8 and the small unit's 3.
    assert department["headcount"] == 12 + 8 + 3
    alone = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, agency="7100102").get_json()
    assert alone["data"] == [] and alone["total"] == 0 and alone["folded_into"] == "71001"


def test_remainders_that_would_reveal_a_small_cell_are_folded_too(
    gdx_get: Callable[..., Any],
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Any],
) -> None:
    ministry = make_agency("72")
    department = make_agency("72001", parent=ministry)
    large = make_agency("7200101", parent=department)
    small = make_agency("7200102", parent=department)
    for _ in range(10):
        make_person(large, line="K-COMP")
    for _ in range(3):
        make_person(small, line="K-COMP")
    neighbour = make_agency("72002", parent=ministry)
    for _ in range(6):
        make_person(neighbour, line="K-COMP")
    published = by_code(feed(gdx_get))
    # Department 13 minus division 10 would give away the 3 of the small division: both divisions are folded.
    assert "7200101" not in published and "7200102" not in published
    assert published["72001"]["headcount"] == 13
    assert published["72001"]["folded_units"] == ["7200101", "7200102"]


def test_a_ministry_too_small_to_fold_is_listed_without_figures(
    gdx_get: Callable[..., Any],
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Any],
) -> None:
    ministry = make_agency("73")
    unit = make_agency("73001", parent=ministry)
    make_person(unit, line="K-COMP")
    make_person(unit, line="K-COMP")
    record = by_code(feed(gdx_get))["73"]
    assert record["suppressed"] is True and record["folded_units"] == ["73001"]
    assert [record[name] for name in ("headcount", "trained", "attained", "coverage_percent", "areas")] == [None] * 5


def test_suppression_counts_the_groups_as_coverage_counts_them(government: Government, standard: Framework) -> None:
    tree = [r.agency for r in coverage(FISCAL_YEAR, standard, agencies=[government.ministry])]
    cells = group_headcounts(tree, whole_tree=False)
    for group, population in enumerate((Population.IT, Population.NON_IT)):
        records = coverage(FISCAL_YEAR, standard, PopulationFilter(population), [government.ministry])
        assert {r.agency.id: r.figures.headcount for r in records} == {i: c[group] for i, c in cells.items()}
    assert cells[government.ministry.id] == (30, 11) and cells[government.small_division.id] == (3, 0)


def test_the_it_feed_folds_by_the_plans_headcounts_which_are_the_groups_headcounts(
    government: Government, standard: Framework
) -> None:
    # The IT feed takes each agency's IT and Non-IT headcounts from the plans' figures (one pass over
    # the people, not two): they must be the very counts suppression is defined on.
    from api.gdx.services.feed import build_feed
    from competencies.idp.services.figures import idp_group_totals

    tree = [r.agency for r in coverage(FISCAL_YEAR, standard, agencies=[government.ministry])]
    totals = idp_group_totals(FISCAL_YEAR, [government.ministry])
    from_plans = {
        a.id: (totals[a.id][PersonnelGroup.IT].headcount, totals[a.id][PersonnelGroup.NON_IT].headcount) for a in tree
    }
    assert from_plans == group_headcounts(tree, whole_tree=False)
    entries = build_feed(FISCAL_YEAR, standard, Population.IT, within=government.ministry)
    published = {entry.record.agency.id for entry in entries}
    assert published == set(suppress(tree, from_plans).published)


def test_suppression_keeps_the_it_and_non_it_groups_from_being_subtracted() -> None:
    # The IT and all-personnel views of a unit with 10 IT and 2 Non-IT people would give away the 2.
    ministry = Agency(id=1, code="1", path="1/", parent_id=None)
    mixed = Agency(id=2, code="2", path="1/2/", parent_id=1)
    other = Agency(id=3, code="3", path="1/3/", parent_id=1)
    decision = suppress([ministry, mixed, other], {1: (20, 7), 2: (10, 2), 3: (10, 5)})
    assert 2 not in decision.published
    # With the unit folded, the ministry's remainder beyond unit 3 is (10, 2): unit 3 goes too.
    assert decision.published == frozenset({1}) and decision.folded_into == {2: 1, 3: 1}


def test_suppression_folds_the_smallest_unit_that_fixes_a_remainder() -> None:
    root = Agency(id=1, code="1", path="1/", parent_id=None)
    units = [Agency(id=i, code=str(i), path=f"1/{i}/", parent_id=1) for i in (2, 3, 4)]
    # Root 2 IT of its own: folding the 5-person unit (not the 30) makes the remainder 7.
    decision = suppress([root, *units], {1: (2 + 30 + 5 + 8, 0), 2: (30, 0), 3: (5, 0), 4: (8, 0)})
    assert decision.published == frozenset({1, 2, 4}) and decision.folded_into == {3: 1}


def test_one_agency_and_bad_parameters(gdx_get: Callable[..., Any], government: Government) -> None:
    one = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, agency="71001").get_json()
    assert [r["agency_code"] for r in one["data"]] == ["71001"] and one["total"] == 1
    assert one["data"][0] == by_code(feed(gdx_get))["71001"] | {"as_of": one["data"][0]["as_of"]}
    unknown = gdx_get("/coverage", agency="99999")
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "unknown_agency")
    for name, value in (("fiscal_year", "25x9"), ("fiscal_year", "3000"), ("population", "robots"), ("per_page", 0)):
        response = gdx_get("/coverage", **{name: value})
        assert response.status_code == 400 and response.get_json()["field"] == name, (name, value)


def test_pages_and_links(gdx_get: Callable[..., Any], government: Government) -> None:
    everything = feed(gdx_get)["data"]
    first = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=3).get_json()
    assert (first["total"], first["pages"], first["page"], len(first["data"])) == (4, 2, 1, 3)
    assert first["links"]["prev"] is None and "page=2" in first["links"]["next"]
    second = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=3, page=2).get_json()
    assert second["links"]["next"] is None and "page=1" in second["links"]["prev"]
    assert [r["agency_code"] for r in first["data"] + second["data"]] == [r["agency_code"] for r in everything]
    assert first["links"]["next"].startswith("http") and "per_page=3" in first["links"]["next"]
    beyond = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=3, page=9).get_json()
    assert beyond["data"] == [] and beyond["total"] == 4


def test_metadata_has_the_open_data_catalogue_fields_in_thai_and_english(
    gdx_get: Callable[..., Any], standard: Framework
) -> None:
    metadata = gdx_get("/metadata").get_json()
    for name in (
        "title",
        "owner_org",
        "maintainer",
        "data_type",
        "data_category",
        "disclosure",
        "objective",
        "update_frequency_unit",
        "license",
        "tags",
        "notes",
    ):
        assert set(metadata[name]) >= {"th", "en"}, name
    assert metadata["update_frequency_interval"] == 1 and metadata["update_frequency_unit"]["en"] == "day"
    assert {"maintainer_email", "created_date", "last_updated_date", "license_id", "url"} <= set(metadata)
    assert {field["name"] for field in metadata["fields"]} == RECORD_FIELDS
    assert all(set(field["description"]) == {"th", "en"} for field in metadata["fields"])
    assert [area["code"] for area in metadata["skill_areas"]] == ["DL", "DG", "DLS", "DT", "DS", "DU", "CS"]


def test_no_personal_data_in_any_response(gdx_get: Callable[..., Any], government: Government) -> None:
    bodies = [
        gdx_get("/coverage", fiscal_year=FISCAL_YEAR, population=population, per_page=1000).get_data(as_text=True)
        for population in ("it", "all", "non_it")
    ]
    bodies += [
        gdx_get("/coverage", fiscal_year=FISCAL_YEAR, agency=code).get_data(as_text=True)
        for code in ("71", "71001", "7100102")
    ]
    bodies.append(gdx_get("/metadata").get_data(as_text=True))
    text = "\n".join(bodies)
    assert "กระทรวงทดสอบ" in text  # the bodies are plain UTF-8, so a search for Thai names is meaningful
    for person in government.people:
        for value in (
            person.first_name_th,
            person.last_name_th,
            person.first_name_en,
            person.last_name_en,
            person.employee_no,
            person.email,
            str(person.public_id),
            person.public_id.hex,
        ):
            assert value and value not in text, value
    for body in bodies[:3]:
        for record in json.loads(body)["data"]:
            assert set(record) == RECORD_FIELDS  # nothing beyond the documented, aggregate fields


def test_without_an_active_standard_the_feed_says_so(gdx_get: Callable[..., Any]) -> None:
    response = gdx_get("/coverage")
    assert (response.status_code, response.get_json()["error"]) == (503, "no_standard")
