"""HR data import: idempotent upsert, clear errors, nothing half-stored."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from academy.audit.models import AuditEntry
from academy.extensions import db
from academy.org.events import people_changed
from academy.org.importer import COLUMNS, ImportFileError, import_people, read_rows
from academy.org.models import Agency, Person, PersonIdentifier, PersonnelGroup, PersonStatus, RoleLevel
from tests.support.app import BASE_URL

HEADER = [column.name for column in COLUMNS]


def row(agency: str, number: str, **fields: str) -> dict[str, str]:
    values = {
        "agency_code": agency,
        "employee_no": number,
        "title_th": "นาย",
        "first_name_th": "สมชาย",
        "last_name_th": f"ใจดี{number}",
        "title_en": "Mr.",
        "first_name_en": "Somchai",
        "last_name_en": f"Jaidee{number}",
        "email": f"p{number}@example.go.th",
        "position_line_code": "K-COMP",
        "position_level_code": "K2",
        "position_type_code": "",
        "is_cio": "no",
        "status": "active",
        "start_date": "2560-10-01",
    }
    values.update(fields)
    return values


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def agency(make_agency: Callable[..., Agency]) -> Agency:
    return make_agency("03003", parent=make_agency("03"))


def people_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Person)) or 0


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["academy", "import-people", *args])
    return result.exit_code, result.output


def test_import_creates_people_with_profile_and_identifiers(agency: Agency, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "people.csv", [row("03003", "1"), row("03003", "2", position_line_code="K-HR")])
    report = import_people(read_rows(file), base_url=BASE_URL)
    assert (report.ok, report.created, report.updated) == (True, 2, 0)
    first = db.session.scalar(select(Person).where(Person.employee_no == "1"))
    assert first is not None
    assert (first.personnel_group, first.role_level) == (PersonnelGroup.IT, RoleLevel.OPERATIONAL)
    assert first.start_date is not None and first.start_date.year == 2017
    keys = {identifier.key for identifier in first.identifiers}
    assert keys == {f"account:{BASE_URL} {first.public_id}", "mbox:mailto:p1@example.go.th"}
    second = db.session.scalar(select(Person).where(Person.employee_no == "2"))
    assert second is not None and second.personnel_group is PersonnelGroup.NON_IT


def test_reimport_updates_instead_of_duplicating(agency: Agency, tmp_path: Path) -> None:
    import_people(read_rows(write_csv(tmp_path / "a.csv", [row("03003", "1"), row("03003", "2")])), base_url=BASE_URL)
    public_id = db.session.scalar(select(Person.public_id).where(Person.employee_no == "1"))
    changed = [row("03003", "1", position_level_code="K4", email="new@example.go.th"), row("03003", "2")]
    report = import_people(read_rows(write_csv(tmp_path / "b.csv", changed)), base_url=BASE_URL)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert people_count() == 2
    person = db.session.scalar(select(Person).where(Person.employee_no == "1"))
    assert person is not None
    db.session.refresh(person)
    assert person.public_id == public_id  # the xAPI identity survives re-imports
    assert person.role_level is RoleLevel.SUPERVISOR
    keys = set(db.session.scalars(select(PersonIdentifier.key).where(PersonIdentifier.person_id == person.id)))
    assert "mbox:mailto:new@example.go.th" in keys and "mbox:mailto:p1@example.go.th" not in keys


def test_one_bad_row_is_named_and_nothing_is_stored(app: Flask, agency: Agency, tmp_path: Path) -> None:
    rows = [row("03003", "1"), row("03003", "2", position_level_code="K9"), row("03003", "3")]
    code, output = run(app, str(write_csv(tmp_path / "bad.csv", rows)))
    assert code == 1
    assert "row 3, column position_level_code: unknown position level 'K9'" in output
    assert "nothing was stored" in output
    assert people_count() == 0


def test_errors_name_every_bad_row_and_column(agency: Agency, tmp_path: Path) -> None:
    rows = [
        row("03003", "1", first_name_th=""),
        row("99999", "2"),
        row("03003", "3", email="not-an-email"),
        row("03003", "4", start_date="31/02/2566"),
        row("03003", "5", is_cio="maybe"),
        row("03003", "6", position_type_code="O"),
    ]
    report = import_people(read_rows(write_csv(tmp_path / "bad.csv", rows)), base_url=BASE_URL)
    assert not report.ok and report.invalid_rows == 6
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "first_name_th"),
        (3, "agency_code"),
        (4, "email"),
        (5, "start_date"),
        (6, "is_cio"),
        (7, "position_type_code"),
    ]


def test_skip_invalid_stores_the_valid_rows_and_reports_the_rest(app: Flask, agency: Agency, tmp_path: Path) -> None:
    rows = [row("03003", "1"), row("03003", "2", position_line_code="NOPE"), row("03003", "3")]
    code, output = run(app, "--skip-invalid", str(write_csv(tmp_path / "bad.csv", rows)))
    assert code == 0, output
    assert "row 3, column position_line_code" in output and "1 invalid rows skipped" in output
    assert people_count() == 2


def test_dry_run_stores_nothing(app: Flask, agency: Agency, tmp_path: Path) -> None:
    code, output = run(app, "--dry-run", str(write_csv(tmp_path / "ok.csv", [row("03003", "1")])))
    assert code == 0 and "dry run, nothing stored: rows 1, created 1" in output
    assert people_count() == 0


def test_cli_import_commits_and_is_audited(app: Flask, agency: Agency, tmp_path: Path) -> None:
    code, output = run(app, str(write_csv(tmp_path / "ok.csv", [row("03003", "1"), row("03003", "2")])))
    assert code == 0 and "imported: rows 2, created 2" in output
    assert people_count() == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "people.import"))
    assert entry is not None and entry.actor == "cli" and entry.details["created"] == 2


def test_an_import_sends_one_people_changed_event_with_the_people_it_changed(
    app: Flask, agency: Agency, tmp_path: Path
) -> None:
    heard: list[list[int]] = []

    def receiver(sender: Flask, *, person_ids: list[int]) -> None:
        assert sender is app
        heard.append(person_ids)

    rows = [row("03003", str(number)) for number in range(1, 5)]
    with people_changed.connected_to(receiver, app):
        assert run(app, str(write_csv(tmp_path / "a.csv", rows)))[0] == 0
        assert heard == []  # new people have no standing to refresh
        rows[1]["position_level_code"] = rows[3]["position_level_code"] = "K3"
        assert run(app, str(write_csv(tmp_path / "b.csv", rows)))[0] == 0
        changed = db.session.scalars(select(Person.id).where(Person.employee_no.in_(["2", "4"]))).all()
        assert heard == [sorted(changed)]  # one event for the whole import, naming the changed people
        # Last: a dry run's rollback takes the test's data with it.
        rows[0]["position_level_code"] = "K3"
        assert run(app, "--dry-run", str(write_csv(tmp_path / "c.csv", rows)))[0] == 0
    assert len(heard) == 1


def test_full_import_marks_absent_people_inactive(
    agency: Agency, make_agency: Callable[..., Agency], tmp_path: Path
) -> None:
    other = make_agency("03004", parent=agency.parent)
    first = [row("03003", "1"), row("03003", "2"), row("03004", "9")]
    import_people(read_rows(write_csv(tmp_path / "a.csv", first)), base_url=BASE_URL)
    report = import_people(read_rows(write_csv(tmp_path / "b.csv", [row("03003", "1")])), base_url=BASE_URL, full=True)
    assert report.deactivated == 1
    statuses = dict(db.session.execute(select(Person.employee_no, Person.status)).all())
    # Only the file's agency is complete: the other agency's person stays active.
    assert statuses == {"1": PersonStatus.ACTIVE, "2": PersonStatus.INACTIVE, "9": PersonStatus.ACTIVE}
    assert other.code == "03004"


def test_a_person_twice_in_one_file_is_an_error(agency: Agency, tmp_path: Path) -> None:
    rows = [row("03003", "1"), row("03003", "1", email="other@example.go.th")]
    report = import_people(read_rows(write_csv(tmp_path / "dup.csv", rows)), base_url=BASE_URL)
    assert not report.ok
    assert str(report.errors[0]) == "row 3, column employee_no: repeats the person of row 2"


def test_an_email_of_another_person_is_an_error(agency: Agency, tmp_path: Path) -> None:
    import_people(read_rows(write_csv(tmp_path / "a.csv", [row("03003", "1")])), base_url=BASE_URL)
    rows = [row("03003", "2", email="P1@example.go.th")]
    report = import_people(read_rows(write_csv(tmp_path / "b.csv", rows)), base_url=BASE_URL)
    assert not report.ok and report.errors[0].column == "email"


def test_dpis_header_names_are_accepted(agency: Agency, tmp_path: Path) -> None:
    header = ["ORG_CODE", "PER_ID", "PER_NAME", "PER_SURNAME", "PL_CODE", "LEVEL_NO"]
    path = tmp_path / "dpis.csv"
    path.write_text(",".join(header) + "\n03003,77,สมหญิง,รักดี,O-ADMIN,O2\n", encoding="utf-8")
    report = import_people(read_rows(path), base_url=BASE_URL)
    assert report.created == 1


def test_unknown_or_missing_columns_reject_the_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("agency_code,employee_no,nickname\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="column 3 has an unknown header 'nickname'"):
        list(read_rows(path))
    path.write_text("agency_code,employee_no\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="required columns are missing: first_name_th"):
        list(read_rows(path))


def test_xlsx_files_import_like_csv(agency: Agency, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(list(row("03003", "1").values()))
    sheet.append([])
    sheet.append(list(row("03003", "2", position_level_code="K5").values()))
    workbook.save(tmp_path / "people.xlsx")
    report = import_people(read_rows(tmp_path / "people.xlsx"), base_url=BASE_URL)
    assert (report.ok, report.created) == (True, 2)


def test_other_file_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"only \.csv and \.xlsx"):
        list(read_rows(tmp_path / "people.txt"))


def test_a_bad_file_is_reported_by_the_cli(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    code, output = run(app, str(path))
    assert code == 1 and "empty.csv is empty" in output
