"""An import longer than a chunk: its rows are staged in a temporary table of the import's
transaction, not kept in memory, and repeats, a full file's absentees and supervisors are found
across chunks as within one."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text

from academy.extensions import db
from academy.org.identity import make_citizen_id
from academy.org.importer import import_people, read_rows
from academy.org.models import Agency, Person, PersonStatus
from tests.academy.org.test_identity import VALID
from tests.academy.org.test_importer import agency, people_count, row, run, write_csv
from tests.support.app import BASE_URL

__all__ = ["agency"]  # the fixture, imported for these tests

OTHER = make_citizen_id(1)


@pytest.fixture(autouse=True)
def chunks_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows a chunk (and a page of staged supervisors), so that a short file spans several."""
    monkeypatch.setattr("academy.org.importer.writing.CHUNK_SIZE", 2)
    monkeypatch.setattr("academy.org.importer.staging.CHUNK_SIZE", 2)


def staged_tables() -> list[str]:
    return [name for name in inspect(db.session.connection()).get_temp_table_names() if name.startswith("import_")]


@pytest.mark.parametrize("leading_invalid", [False, True], ids=["writing", "checking only"])
def test_repeats_in_later_chunks_name_the_first_row(
    app: Flask, agency: Agency, tmp_path: Path, leading_invalid: bool
) -> None:
    rows = [
        row("03003", "1", citizen_id=VALID),
        row("03003", "2"),
        row("03003", "3", citizen_id=VALID),  # the citizen of the first row
        row("03003", "1"),  # the person of the first row
        row("03003", "3"),  # the person of a row refused for its citizen ID: still named first there
        row("03003", "4", citizen_id=OTHER),
        row("03003", "5", citizen_id=OTHER),
    ]
    if leading_invalid:  # nothing is written after it: the rows are only checked
        rows.insert(0, row("03003", "99", position_level_code="K9"))
    path = write_csv(tmp_path / "people.csv", rows)
    with db.session.begin_nested() as savepoint:  # as a job imports: its rows are rolled back
        report = import_people(read_rows(path), base_url=BASE_URL)
        savepoint.rollback()
    shift = int(leading_invalid)
    expected = [
        f"row {4 + shift}, column citizen_id: repeats the citizen ID of row {2 + shift}",
        f"row {5 + shift}, column employee_no: repeats the person of row {2 + shift}",
        f"row {6 + shift}, column employee_no: repeats the person of row {4 + shift}",
        f"row {8 + shift}, column citizen_id: repeats the citizen ID of row {7 + shift}",
    ]
    assert [str(error) for error in report.errors][shift:] == expected
    assert (report.ok, report.invalid_rows) == (False, 4 + shift)
    code, output = run(app, str(path))
    assert code == 1 and "nothing was stored" in output and expected[0] in output, output
    assert people_count() == 0
    assert staged_tables() == []


def test_the_rows_are_staged_in_the_database_and_the_table_goes_with_the_import(agency: Agency, tmp_path: Path) -> None:
    staged: list[int] = []

    def count_staged(_rows: int) -> None:
        [name] = staged_tables()
        staged.append(db.session.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0)

    rows = [row("03003", str(number)) for number in range(1, 6)]
    report = import_people(
        read_rows(write_csv(tmp_path / "people.csv", rows)), base_url=BASE_URL, progress=count_staged
    )
    assert (report.ok, report.created) == (True, 5)
    assert staged == [2, 4, 5]
    assert staged_tables() == []


def test_a_full_file_keeps_the_people_of_every_chunk_active(agency: Agency, tmp_path: Path) -> None:
    first = [row("03003", str(number)) for number in range(1, 7)]
    assert import_people(read_rows(write_csv(tmp_path / "a.csv", first)), base_url=BASE_URL).created == 6
    kept = [row("03003", number) for number in ("1", "3", "5", "6")]
    report = import_people(read_rows(write_csv(tmp_path / "b.csv", kept)), base_url=BASE_URL, full=True)
    assert (report.ok, report.unchanged, report.deactivated) == (True, 4, 2)
    statuses = dict(db.session.execute(select(Person.employee_no, Person.status)).all())
    assert [number for number, status in sorted(statuses.items()) if status is PersonStatus.INACTIVE] == ["2", "4"]


def test_supervisors_resolve_across_chunks_and_errors_keep_file_order(agency: Agency, tmp_path: Path) -> None:
    rows = [
        row("03003", "1", supervisor_employee_no="5"),  # their supervisor's row is two chunks later
        row("03003", "2", supervisor_employee_no="1"),
        row("03003", "3", supervisor_employee_no=""),
        row("03003", "4", supervisor_employee_no="3"),
        row("03003", "5", supervisor_employee_no="3"),
    ]
    report = import_people(read_rows(write_csv(tmp_path / "people.csv", rows)), base_url=BASE_URL)
    assert report.ok, report.errors
    supervisors = dict(db.session.execute(select(Person.employee_no, Person.supervisor_id)).all())
    by_id = dict(db.session.execute(select(Person.id, Person.employee_no)).all())
    assert {number: by_id.get(supervisor) for number, supervisor in supervisors.items()} == {
        "1": "5",
        "2": "1",
        "3": None,
        "4": "3",
        "5": "3",
    }
    wrong = [
        row("03003", "6", supervisor_employee_no="404"),
        row("03003", "7", supervisor_employee_no="7"),
        row("03003", "8", supervisor_employee_no="1"),
        row("03003", "9", supervisor_employee_no="405"),
    ]
    report = import_people(read_rows(write_csv(tmp_path / "wrong.csv", wrong)), base_url=BASE_URL)
    assert [str(error) for error in report.errors] == [
        "row 2, column supervisor_employee_no: no one in the agency has the employee number '404'",
        "row 3, column supervisor_employee_no: a person cannot be their own supervisor",
        "row 5, column supervisor_employee_no: no one in the agency has the employee number '405'",
    ]


def test_a_chunk_of_many_rows_is_staged_as_a_few(
    monkeypatch: pytest.MonkeyPatch, agency: Agency, tmp_path: Path
) -> None:
    """Past COPY_THRESHOLD rows a chunk is staged by COPY on PostgreSQL (executemany on SQLite)."""
    monkeypatch.setattr("academy.org.importer.writing.CHUNK_SIZE", 120)
    rows = [row("03003", str(number), citizen_id=make_citizen_id(number)) for number in range(1, 126)]
    rows += [row("03003", "1"), row("03003", "200", citizen_id=make_citizen_id(7))]
    report = import_people(read_rows(write_csv(tmp_path / "people.csv", rows)), base_url=BASE_URL)
    assert [str(error) for error in report.errors] == [
        "row 127, column employee_no: repeats the person of row 2",
        "row 128, column citizen_id: repeats the citizen ID of row 8",
    ]
