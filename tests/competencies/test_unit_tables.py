"""Unit tables add up, empty units say "—", people lists sort and show assignments, exports are tidy."""

from __future__ import annotations

import io
from collections.abc import Callable

import openpyxl
import pytest
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.dates import current_fiscal_year
from academy.org.models import Agency, Person, PersonnelGroup, RoleLevel
from competencies.models import Framework
from competencies.reports.exports import _sheet_title
from competencies.reports.services import agency_report, population_name
from competencies.services.coverage import PopulationFilter

Login = Callable[[User], FlaskClient]


@pytest.fixture
def department(make_agency: Callable[..., Agency]) -> Agency:
    return make_agency("61001", parent=make_agency("61"), name_th="กรมทดสอบ", name_en="Test Department")


def test_people_placed_in_the_department_itself_get_a_row_and_the_rows_add_up(
    app: object,
    standard: Framework,
    department: Agency,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
) -> None:
    unit = make_agency("6100101", parent=department, name_th="กองหนึ่ง", name_en="Unit one")
    make_agency("6100102", parent=department, name_th="กองว่าง", name_en="Empty unit")
    make_person(unit, line="K-COMP", level="K2")
    make_person(department, line="K-COMP", level="K2")
    make_person(department, line="K-COMP", level="K1")
    from flask import current_app

    with current_app.test_request_context():
        report = agency_report(department, current_fiscal_year(), standard, PopulationFilter())
    units = report.table("units")
    names = units.values("name")
    assert names[-1] == "Directly under Test Department" or names[-1].startswith("สังกัดโดยตรง")
    assert sum(units.values("headcount")) == report.summary.figures.headcount == 3  # type: ignore[union-attr]
    empty = units.rows[names.index("กองว่าง") if "กองว่าง" in names else names.index("Empty unit")]
    assert empty[units.index("headcount")] == 0
    assert empty[units.index("coverage_percent")] is None and empty[units.index("attainment_percent")] is None
    assert units.values("code")[-1] is None  # the direct row is no unit: no link, no code


def test_the_dashboard_shows_dash_for_an_empty_unit_and_the_direct_row(
    standard: Framework,
    department: Agency,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    make_agency("6100102", parent=department, name_th="กองว่าง", name_en="Empty unit")
    make_person(department, line="K-COMP", level="K2")
    client = login(make_user(Role.HR_OFFICER, agencies=(department,)))
    text = client.get(f"/reports/agencies/{department.code}").get_data(as_text=True)
    units = text[text.index('id="table-units"') :]
    units = units[: units.index("</table>")]
    assert "สังกัดโดยตรง กรมทดสอบ" in units
    empty = units[units.index("กองว่าง") :]
    empty = empty[: empty.index("</tr>")]
    assert empty.count("—") == 2 and ">0.00<" not in empty  # coverage and attainment; the target stays


def test_the_csv_names_its_charset_once_and_xlsx_sheets_are_whole_words(
    standard: Framework,
    department: Agency,
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    make_person(department, line="K-COMP", level="K2")
    client = login(make_user(Role.HR_OFFICER, agencies=(department,)))
    csv = client.get(f"/reports/agencies/{department.code}/export.csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    xlsx = client.get(f"/reports/agencies/{department.code}/export.xlsx")
    names = openpyxl.load_workbook(io.BytesIO(xlsx.data)).sheetnames
    assert names == [
        "รายงาน",
        "ความครอบคลุม",
        "รายเดือน",
        "หน่วยงานในสังกัด",
        "โปรไฟล์บทบาท",
        "ด้าน",
        "แผนพัฒนารายบุคคล",
        "สมรรถนะที่อยู่ในแผนมากที่สุด",
    ]
    assert all(len(name) <= 31 for name in names)


def test_sheet_titles_are_cut_at_a_space_and_stay_unique() -> None:
    taken: set[str] = set()
    long = "Coverage and attainment of every unit beneath"
    first = _sheet_title(long, taken)
    assert first == "Coverage and attainment of"
    second = _sheet_title(long, taken)
    assert second != first and len(second) <= 31
    assert _sheet_title("a/b:c", taken) == "abc"


def test_a_role_profile_has_one_name_everywhere(app: object, standard: Framework, department: Agency) -> None:
    from flask import current_app

    with current_app.test_request_context():
        report = agency_report(department, current_fiscal_year(), standard, PopulationFilter())
        profiles = report.table("profiles")
        expected = population_name(PopulationFilter(profile=(PersonnelGroup.IT, RoleLevel.SUPERVISOR)))
        assert expected in profiles.values("name")
    stored = {p.code: p.name_th for p in standard_profiles(standard)}
    assert stored["it-supervisor"] == "สายงานเทคโนโลยีสารสนเทศ (IT) · ระดับผู้บังคับบัญชา / ผู้อำนวยการ"


def standard_profiles(standard: Framework) -> list:  # type: ignore[type-arg]
    from competencies.services.frameworks import default_profiles

    return default_profiles(standard)


def test_the_people_list_sorts_by_a_column(
    department: Agency,
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Login,
) -> None:
    numbers = ("SORTQ-1", "SORTQ-2", "SORTQ-3")
    for n in (1, 2, 0):
        make_person(department, employee_no=numbers[n])
    client = login(make_user(Role.HR_OFFICER, agencies=(department,)))

    def order(sort: str) -> list[str]:
        text = client.get(f"/people?sort={sort}").get_data(as_text=True)
        table = text[text.index("<tbody>") :]
        return sorted(numbers, key=table.index)

    assert order("-employee_no") == ["SORTQ-3", "SORTQ-2", "SORTQ-1"]
    assert order("employee_no") == ["SORTQ-1", "SORTQ-2", "SORTQ-3"]
