"""The import's supervisor_employee_no column: resolved after the rows are written, within the agency."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.org.importer import import_people, read_rows
from academy.org.models import Agency, Person
from tests.academy.org.test_importer import HEADER, row, write_csv
from tests.support.app import BASE_URL


@pytest.fixture
def division(make_agency: Callable[..., Agency]) -> Agency:
    return make_agency("0300301", parent=make_agency("03003", parent=make_agency("03")))


def person(number: str) -> Person:
    found = db.session.scalar(select(Person).where(Person.employee_no == number))
    assert found is not None
    return found


def test_supervisors_resolve_after_every_row_even_a_later_one(division: Agency, tmp_path: Path) -> None:
    rows = [
        row("0300301", "1", supervisor_employee_no="2"),  # named before their supervisor's row
        row("0300301", "2", supervisor_employee_no="9"),  # 9 is in the department above
        row("03003", "9", supervisor_employee_no=""),
    ]
    report = import_people(read_rows(write_csv(tmp_path / "people.csv", rows)), base_url=BASE_URL)
    assert report.ok, report.errors
    assert person("1").supervisor is person("2")
    assert person("2").supervisor is person("9")
    assert person("9").supervisor is None
    # A re-import with an empty cell clears it; a file without the column leaves it alone.
    again = [row("0300301", "1", supervisor_employee_no="")]
    assert import_people(read_rows(write_csv(tmp_path / "again.csv", again)), base_url=BASE_URL).ok
    assert person("1").supervisor is None
    header = [name for name in HEADER if name != "supervisor_employee_no"]
    plain = [{k: v for k, v in row("0300301", "2").items() if k in header}]
    assert import_people(read_rows(write_csv(tmp_path / "plain.csv", plain, header)), base_url=BASE_URL).ok
    assert person("2").supervisor is person("9")


def test_a_missing_supervisor_is_a_row_error_naming_row_and_column(division: Agency, tmp_path: Path) -> None:
    rows = [row("0300301", "1", supervisor_employee_no="404"), row("0300301", "2", supervisor_employee_no="2")]
    report = import_people(read_rows(write_csv(tmp_path / "people.csv", rows)), base_url=BASE_URL)
    assert not report.ok
    assert [str(e) for e in report.errors] == [
        "row 2, column supervisor_employee_no: no one in the agency has the employee number '404'",
        "row 3, column supervisor_employee_no: a person cannot be their own supervisor",
    ]
