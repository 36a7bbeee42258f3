"""Coverage: the API answers exactly what competencies.services.coverage.coverage() computes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from academy.dates import current_fiscal_year
from academy.db import db
from academy.org.models import Person
from competencies.models import AreaStanding, Framework, Standing, TrainingYear
from competencies.services.coverage import Population, PopulationFilter, coverage
from competencies.services.frameworks import areas_of, seed_standard
from tests.support.rest import Api, Tree


def trained(person: Person, fiscal_year: int, *, meets_all: bool = False, areas: tuple[str, ...] = ()) -> None:
    """Write the projections that evidence would write, for a person."""
    framework = seed_standard()
    db.session.add(TrainingYear(person_id=person.id, fiscal_year=fiscal_year))
    db.session.add(Standing(person_id=person.id, meets_all=meets_all, updated_at=datetime.now(UTC)))
    by_code = {area.code: area.id for area in areas_of(framework)}
    db.session.add_all(AreaStanding(person_id=person.id, area_id=by_code[code]) for code in areas)
    db.session.flush()


def test_coverage_equals_the_coverage_service(api: Api, tree: Tree, make_person: Callable[..., Person]) -> None:
    standard: Framework = seed_standard()
    year = current_fiscal_year()
    it_people = [make_person(tree.division_a, line="K-COMP") for _ in range(3)]
    it_people.append(make_person(tree.department_a, line="K-COMP"))
    make_person(tree.department_a, line="K-HR")  # Non-IT
    trained(it_people[0], year, meets_all=True, areas=("DL", "DG"))
    trained(it_people[1], year, areas=("DL",))
    trained(it_people[3], year - 1)  # trained last year: not this year

    response = api("GET", "/api/v1/coverage", query_string={"agency": "11001", "fiscal_year": year})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    expected = coverage(year, standard, PopulationFilter(Population.IT), [tree.department_a])
    assert [r["agency_code"] for r in body["records"]] == [r.agency.code for r in expected] == ["11001", "1100101"]
    for got, want in zip(body["records"], expected, strict=True):
        assert (got["headcount"], got["trained"], got["attained"]) == (
            want.figures.headcount,
            want.figures.trained,
            want.figures.attained,
        )
        assert Decimal(str(got["coverage_percent"])) == want.coverage_percent
        assert Decimal(str(got["attainment_percent"])) == want.attainment_percent
        assert got["meets_target"] == want.meets_target
        assert {a["code"]: a["meeting"] for a in got["areas"]} == {
            area.code: want.figures.areas.get(area.code, 0) for area in areas_of(standard)
        }
    department = body["records"][0]
    assert (department["headcount"], department["trained"], department["attained"]) == (4, 2, 1)
    assert department["coverage_percent"] == 50.0 and department["meets_target"] is False
    assert department["parent_code"] == "11" and body["records"][1]["parent_code"] == "11001"
    assert body["fiscal_year"] == year and body["population"] == "it" and body["target_percent"] == 60.0

    everyone = api("GET", "/api/v1/coverage", query_string={"agency": "11001", "population": "all"}).get_json()
    assert everyone["records"][0]["headcount"] == 5 and everyone["fiscal_year"] == year


def test_coverage_refuses_bad_parameters(api: Api, tree: Tree) -> None:
    seed_standard()
    for query in ({}, {"agency": "11001", "fiscal_year": 2024}, {"agency": "11001", "population": "robots"}):
        response = api("GET", "/api/v1/coverage", query_string=query)
        assert response.status_code == 422, query
        assert response.get_json()["errors"]["query"]


def test_coverage_without_an_active_standard_is_not_found(api: Api, tree: Tree) -> None:
    response = api("GET", "/api/v1/coverage", query_string={"agency": "11001"})
    assert response.status_code == 404 and "standard" in response.get_json()["message"]
