"""HR reports: the figures (built on coverage()), the trend, the people list, scope and filters."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.db import db
from academy.org.models import Agency, AgencyKind, Person, PersonnelGroup, PersonStatus, RoleLevel
from competencies.models import Competency, Evidence, EvidenceSource, Framework
from competencies.services.coverage import (
    Population,
    PopulationFilter,
    agency_coverage,
    coverage,
    coverage_by_profile,
    gap_counts,
    monthly_trend,
    population_choices,
    population_from_label,
    rank_agencies,
    untrained_people,
)
from competencies.services.evidence import recompute_attainment
from competencies.services.frameworks import default_profiles, requirements_of
from tests.support.competencies import competency

#: FY 2568 runs from 2024-10-01 to 2025-09-30: entirely past, so every month has figures.
FY = 2568
MINISTRY_TH = "กระทรวงดิจิทัลเพื่อเศรษฐกิจและสังคม"


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


def train(person: Person, target: Competency, when: datetime, level: int = 2, **fields: object) -> None:
    """Evidence of an aligned course, through the real projection (attainment, standing, training years)."""
    db.session.add(
        Evidence(
            person_id=person.id,
            competency_id=target.id,
            level=level,
            source=fields.pop("source", EvidenceSource.STATEMENT),
            activity_id="https://provider.example/courses/1",
            achieved_at=when,
            **fields,
        )
    )
    db.session.flush()
    recompute_attainment({(person.id, target.id)})


@dataclass
class Government:
    ministry: Agency
    department: Agency  # the HR officer's department (with a division beneath)
    division: Agency
    sister: Agency  # another department of the same ministry
    other: Agency  # a department of another ministry
    people: dict[str, Person]


@pytest.fixture
def government(
    standard: Framework, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> Government:
    ministry = make_agency("91", name_th=MINISTRY_TH, name_en="Ministry of Digital Economy and Society")
    department = make_agency("91001", parent=ministry, name_th="สำนักงานสถิติแห่งชาติ", name_en="NSO")
    division = make_agency("9100101", parent=department, name_th="กองสถิติสังคม", name_en="Social Statistics")
    sister = make_agency("91002", parent=ministry, name_th="สำนักงานปลัดกระทรวง", name_en="Permanent Secretary")
    other_ministry = make_agency("92", name_th="กระทรวงการคลัง", name_en="Ministry of Finance")
    other = make_agency("92001", parent=other_ministry, name_th="กรมบัญชีกลาง", name_en="Comptroller General")
    dl, dg = competency(standard, "DL-01"), competency(standard, "DG-01")
    people = {
        "early": make_person(department, line="K-COMP", level="K2", first_name_th="สมชาย", last_name_th="ใจดี"),
        "january": make_person(department, line="K-COMP", level="K1"),
        "last_year": make_person(department, line="K-COMP", level="K2"),
        "non_it": make_person(department, line="K-HR", level="K2"),
        "untrained": make_person(division, line="O-COMP", level="O2", first_name_th="สมหญิง"),
        "withdrawn": make_person(division, line="K-COMP", level="K4"),
        "qualified": make_person(sister, line="K-COMP", level="K2"),
        "elsewhere": make_person(other, line="K-COMP", level="K2", first_name_th="คนนอก"),
        "inactive": make_person(department, line="K-COMP", level="K2", status=PersonStatus.INACTIVE),
    }
    train(people["early"], dl, at(2024, 11, 3))
    train(people["early"], dg, at(2025, 2, 1))  # a later course: still counted in November
    train(people["january"], dl, at(2025, 1, 20))
    train(people["last_year"], dl, at(2024, 9, 30))  # FY 2567
    train(people["non_it"], dl, at(2024, 12, 1))
    train(people["withdrawn"], dl, at(2025, 3, 1), withdrawn_at=at(2025, 3, 2))
    train(people["withdrawn"], dg, at(2025, 4, 1), source=EvidenceSource.SELF_ASSESSMENT)  # not training
    train(people["elsewhere"], dl, at(2025, 5, 5))
    train(people["inactive"], dl, at(2025, 5, 5))
    # Meets every level of the IT operational profile, from courses taken in October.
    qualified = people["qualified"]
    for competency_id, level in requirements_of(default_profiles(standard)[0]).items():
        train(qualified, db.session.get(Competency, competency_id), at(2024, 10, 10), level=level)  # type: ignore[arg-type]
    return Government(ministry, department, division, sister, other, people)


# --- the figures --------------------------------------------------------------------------------------------


def test_the_trend_counts_people_by_the_month_of_their_first_training_in_the_year(
    government: Government, standard: Framework
) -> None:
    trend = monthly_trend(government.ministry, FY)
    assert [p.month.isoformat() for p in trend][:3] == ["2024-10-01", "2024-11-01", "2024-12-01"]
    assert len(trend) == 12 and trend[-1].month.isoformat() == "2025-09-01"
    # qualified in October, early in November (not February), january in January; withdrawn,
    # self-assessed, last year's, Non-IT, inactive and other ministries' people do not count.
    assert [p.newly_trained for p in trend] == [1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert [p.cumulative for p in trend] == [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3]
    assert trend[-1].cumulative == agency_coverage(government.ministry, FY, standard).figures.trained == 3
    everyone = monthly_trend(government.ministry, FY, PopulationFilter(Population.ALL))
    assert [p.newly_trained for p in everyone][:3] == [1, 1, 1]  # the Non-IT officer in December
    last_year = monthly_trend(government.department, FY - 1)
    assert last_year[-1].month.isoformat() == "2024-09-01" and last_year[-1].newly_trained == 1


def test_profiles_and_units_are_coverage_of_their_parts(government: Government, standard: Framework) -> None:
    headline = agency_coverage(government.ministry, FY, standard)
    assert (headline.figures.headcount, headline.figures.trained, headline.figures.attained) == (6, 3, 1)
    assert str(headline.coverage_percent) == "50.00"
    profiles = coverage_by_profile(government.ministry, FY, standard)
    assert [p.profile.code for p in profiles] == ["it-operational", "it-supervisor", "it-executive"]
    assert sum(p.record.figures.headcount for p in profiles) == headline.figures.headcount
    assert [p.record.figures.headcount for p in profiles] == [5, 1, 0]
    six = coverage_by_profile(government.ministry, FY, standard, PopulationFilter(Population.ALL))
    assert len(six) == 6 and sum(p.record.figures.headcount for p in six) == 7


def test_one_agencys_coverage_counted_in_all_is_its_row_of_every_agencys(
    government: Government,
    standard: Framework,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    # agency_coverage() counts the subtree in SQL, without the tree's roll-up: the same figures,
    # areas too, for every agency, population and year. A sibling whose code starts with the
    # department's ("91001" and "910019") is not beneath it.
    lookalike = make_agency("910019", parent=government.ministry)
    trained = make_person(lookalike, line="K-COMP", level="K2")
    train(trained, competency(standard, "DL-01"), at(2025, 6, 1))
    make_person(lookalike, line="K-HR", level="K2")
    agencies = [government.ministry, government.department, government.division, government.sister, lookalike]
    met_areas = 0
    for population in population_choices():
        for year in (FY - 1, FY):
            every = {r.agency.id: r for r in coverage(year, standard, population)}
            for agency in agencies:
                one = agency_coverage(agency, year, standard, population)
                assert one.figures == every[agency.id].figures, (agency.code, population.label, year)
                assert (one.population, one.target_percent) == (population.label, every[agency.id].target_percent)
                met_areas += sum(one.figures.areas.values())
    department = agency_coverage(government.department, FY, standard).figures
    assert (department.headcount, department.trained) == (5, 2)  # not the lookalike's trained officer
    assert agency_coverage(lookalike, FY, standard).figures.trained == 1
    assert met_areas > 0  # the areas were compared, not only empty


def test_ranking_puts_the_best_coverage_first(government: Government, standard: Framework) -> None:
    ministries = rank_agencies(FY, standard, kind=AgencyKind.MINISTRY)
    codes = [r.agency.code for r in ministries]
    assert codes.index("92") < codes.index("91")  # 1 of 1 trained against 3 of 6
    assert all(r.agency.kind is AgencyKind.MINISTRY for r in ministries)
    departments = [r.agency.code for r in rank_agencies(FY, standard, kind=AgencyKind.DEPARTMENT)]
    # Both at 100% coverage: the one whose officer also meets the profile first.
    assert departments.index("91002") < departments.index("92001") < departments.index("91001")


def test_untrained_people_of_a_profile_for_the_bulk_action(government: Government) -> None:
    it_operational = (PersonnelGroup.IT, RoleLevel.OPERATIONAL)
    found = db.session.scalars(untrained_people(government.ministry, FY, it_operational)).all()
    assert {p.id for p in found} == {government.people["last_year"].id, government.people["untrained"].id}
    supervisors = db.session.scalars(
        untrained_people(government.department, FY, (PersonnelGroup.IT, RoleLevel.SUPERVISOR))
    ).all()
    assert [p.id for p in supervisors] == [government.people["withdrawn"].id]


def test_gaps_follow_the_persons_profile(government: Government, standard: Framework) -> None:
    people = government.people
    counts = gap_counts([people["qualified"], people["early"], people["untrained"]], standard)
    required = len(requirements_of(default_profiles(standard)[0]))
    assert counts[people["qualified"].id] == 0
    assert counts[people["early"].id] == required - 1  # DG-01 at level 2 met; DL-01 needs 3
    assert counts[people["untrained"].id] == required


def test_population_labels_round_trip() -> None:
    for label in ("it", "all", "non_it", "it-executive", "non_it-supervisor"):
        assert population_from_label(label).label == label
    with pytest.raises(ValueError):
        population_from_label("it-admiral")


# --- pages and scope ----------------------------------------------------------------------------------------


@pytest.fixture
def officer(government: Government, make_user: Callable[..., User]) -> User:
    """An HR officer of the department (and so its division), not of the rest of the ministry."""
    return make_user(Role.HR_OFFICER, agencies=(government.department,))


def _chart_data(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="report-chart-data">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_the_dashboard_shows_the_figures_of_coverage(
    government: Government, standard: Framework, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.HR_OFFICER, agencies=(government.ministry,)))
    response = client.get(f"/reports/agencies/91?fy={FY}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    record = agency_coverage(government.ministry, FY, standard)
    assert MINISTRY_TH in page and "50.00%" in page
    charts = _chart_data(page)
    assert charts["gauges"]["coverage"] == {"value": 50.0, "target": 60.0}  # type: ignore[index]
    assert charts["charts"]["trend"]["series"][0]["data"] == [1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3]  # type: ignore[index]
    units = {r.agency.code: r for r in coverage(FY, standard, agencies=[government.ministry])}
    assert charts["charts"]["units"]["series"][0]["data"] == [  # type: ignore[index]
        float(units[code].coverage_percent) for code in ("91001", "91002")
    ]
    assert record.figures.headcount == 6
    # Drill-down links to the units; the charts' own script, no inline script.
    assert f"/reports/agencies/91001?fy={FY}&amp;population=it" in page
    assert "js/report-charts.js" in page and "<script>" not in page


def test_an_hr_officer_drills_down_within_scope_only(
    government: Government, officer: User, login: Callable[[User], FlaskClient]
) -> None:
    client = login(officer)
    assert client.get(f"/reports/agencies/91001?fy={FY}").status_code == 200
    assert client.get(f"/reports/agencies/9100101?fy={FY}").status_code == 200
    assert client.get(f"/reports/agencies/9100101/people?fy={FY}").status_code == 200
    for path in (
        "/reports/agencies/91",
        "/reports/agencies/91002",
        "/reports/agencies/92001",
        "/reports/agencies/92001/people",
        "/reports/agencies/92001/export.csv",
        "/reports/agencies/92001/people/export.xlsx",
        "/reports/agencies/nosuch",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/reports/ranking").status_code == 403
    assert client.get("/reports/").headers["Location"].endswith("/reports/agencies/91001")


def test_learners_may_not_see_reports(
    government: Government, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.LEARNER, person=government.people["early"]))
    for path in ("/reports/", "/reports/agencies/91001", "/reports/agencies/91001/people", "/reports/ranking"):
        assert client.get(path).status_code == 403, path
    assert "/reports/" not in client.get("/").get_data(as_text=True)


def test_the_people_list_shows_each_status_and_searches(
    government: Government, officer: User, login: Callable[[User], FlaskClient]
) -> None:
    client = login(officer)
    page = client.get(f"/reports/agencies/91001/people?fy={FY}").get_data(as_text=True)
    assert "สมชาย" in page and "สมหญิง" in page
    assert "คนนอก" not in page  # another ministry's person
    # The IT people of the department and its division, each linking to their page.
    assert page.count('href="/people/') == 5
    untrained = client.get(f"/reports/agencies/91001/people?fy={FY}&trained=no").get_data(as_text=True)
    assert "สมหญิง" in untrained and "สมชาย" not in untrained
    searched = client.get(f"/reports/agencies/91001/people?fy={FY}&q=สมชาย").get_data(as_text=True)
    assert "สมชาย" in searched and "สมหญิง" not in searched
    assert client.get("/reports/agencies/91001/people?trained=maybe").status_code == 400


def test_the_people_list_is_paginated(
    government: Government,
    officer: User,
    make_person: Callable[..., Person],
    login: Callable[[User], FlaskClient],
) -> None:
    for _ in range(55):
        make_person(government.division, line="K-COMP", level="K1")
    client = login(officer)
    first = client.get(f"/reports/agencies/91001/people?fy={FY}").get_data(as_text=True)
    assert 'rel="next"' in first and "/reports/agencies/91001/people?" in first
    second = client.get(f"/reports/agencies/91001/people?fy={FY}&page=2").get_data(as_text=True)
    assert 'rel="prev"' in second


def test_filters_change_the_population(
    government: Government, officer: User, login: Callable[[User], FlaskClient]
) -> None:
    client = login(officer)

    def gauge(query: str, fiscal_year: int = FY) -> dict[str, float]:
        page = client.get(f"/reports/agencies/91001?fy={fiscal_year}&{query}").get_data(as_text=True)
        return _chart_data(page)["gauges"]["coverage"]  # type: ignore[index,no-any-return]

    # IT (default): early, january trained of early, january, last_year, untrained, withdrawn.
    assert gauge("population=it")["value"] == 40.0
    assert gauge("population=all")["value"] == 50.0  # and the Non-IT officer, trained
    assert gauge("population=non_it")["value"] == 100.0
    assert gauge("population=it-supervisor")["value"] == 0.0
    assert gauge("population=it", FY - 1)["value"] == 20.0  # last year's course
    assert client.get("/reports/agencies/91001?population=everyone").status_code == 400
    assert client.get("/reports/agencies/91001?fy=1999").status_code == 400


def test_admins_see_every_agency_ranked(
    government: Government, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN))
    assert client.get("/reports/").headers["Location"].endswith("/reports/ranking")
    page = client.get(f"/reports/ranking?fy={FY}").get_data(as_text=True)
    assert page.index("กระทรวงการคลัง") < page.index(MINISTRY_TH)
    ranking = _chart_data(page)["charts"]["ranking"]  # type: ignore[index]
    assert ranking["target"]["value"] == 60.0  # type: ignore[index]
    departments = client.get(f"/reports/ranking?fy={FY}&kind=department").get_data(as_text=True)
    assert "กรมบัญชีกลาง" in departments and MINISTRY_TH not in departments.split("<table")[1]
    assert client.get("/reports/ranking?kind=division").status_code == 400
    assert client.get(f"/reports/agencies/92001?fy={FY}").status_code == 200


def test_a_person_trained_in_several_years_counts_once_in_each(government: Government, standard: Framework) -> None:
    # Coverage joins the year's training rows (one a person and year): trained again the next
    # fiscal year, a person is one of the trained of each year, never two of one year's headcount.
    early = government.people["early"]
    train(early, competency(standard, "DL-01"), at(2025, 11, 1), level=3)  # FY 2569 as well as FY 2568
    for year in (FY, FY + 1):
        figures = agency_coverage(government.department, year, standard).figures
        # The active IT people of the department and its division: early, january, last_year, untrained, withdrawn.
        assert figures.headcount == 5
        assert figures.trained == (2 if year == FY else 1)  # early and january; then early alone
