"""Citizen IDs: the check digit, the keyed hash, and the import that keeps only the hash."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from academy.db import db
from academy.org.identity import (
    check_digit,
    citizen_id_hash,
    citizen_id_problem,
    is_valid_citizen_id,
    make_citizen_id,
    normalise_citizen_id,
)
from academy.org.importer import import_people, read_rows
from academy.org.models import Agency, Person, PersonStatus
from tests.academy.org.test_importer import HEADER, agency, row, write_csv
from tests.support.app import BASE_URL

__all__ = ["agency"]

# A well-known valid example (its 13th digit is the mod-11 check digit of the first twelve).
VALID = "1101700203450"


def test_the_check_digit_is_the_mod_11_rule() -> None:
    assert check_digit("110170020345") == 0
    assert is_valid_citizen_id(VALID)
    assert is_valid_citizen_id("1-1017-00203-45-0")
    assert citizen_id_problem("1101700203451") == "has a wrong check digit (the 13th digit)"
    assert citizen_id_problem("110170020345") == "is not a 13-digit citizen ID"
    assert citizen_id_problem("11017002034５0") == "is not a 13-digit citizen ID"  # a full-width digit
    assert citizen_id_problem("0101700203450") is not None
    for seed in range(200):
        generated = make_citizen_id(seed)
        assert is_valid_citizen_id(generated) and generated.startswith("9")
    assert len({make_citizen_id(seed) for seed in range(1000)}) == 1000


def test_the_hash_is_keyed_and_ignores_separators(app: Flask) -> None:
    first = citizen_id_hash(VALID, b"one key")
    assert first == citizen_id_hash("1 1017 00203 45 0", b"one key")
    assert first != citizen_id_hash(VALID, b"another key") and VALID not in first and len(first) == 64
    assert normalise_citizen_id(" 1-1017-00203-45-0 ") == VALID
    assert citizen_id_hash(VALID) == citizen_id_hash(VALID, app.config["ACADEMY_IDENTITY_KEY"].encode())


def test_the_import_stores_only_the_hash(agency: Agency, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "people.csv", [row("03003", "1", citizen_id="1-1017-00203-45-0")])
    report = import_people(read_rows(path), base_url=BASE_URL)
    assert report.ok and report.created == 1
    person = db.session.scalar(select(Person))
    assert person is not None and person.citizen_id_hash == citizen_id_hash(VALID)
    stored = " ".join(str(value) for value in db.session.execute(select(Person.__table__)).one())
    assert VALID not in stored and "1-1017" not in stored


def test_a_wrong_check_digit_is_a_row_error_naming_row_and_column(agency: Agency, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "people.csv", [row("03003", "1", citizen_id=VALID), row("03003", "2", citizen_id="1101700203451")]
    )
    report = import_people(read_rows(path), base_url=BASE_URL)
    assert not report.ok
    assert [str(error) for error in report.errors] == [
        "row 3, column citizen_id: has a wrong check digit (the 13th digit)"
    ]


def test_dpis_per_cardno_is_read_and_a_blank_cell_keeps_the_hash(agency: Agency, tmp_path: Path) -> None:
    header = [name if name != "citizen_id" else "PER_CARDNO" for name in HEADER]
    path = tmp_path / "dpis.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow([row("03003", "1", citizen_id=VALID).get(name, "") for name in HEADER])
    assert import_people(read_rows(path), base_url=BASE_URL).created == 1
    again = import_people(read_rows(write_csv(tmp_path / "again.csv", [row("03003", "1")])), base_url=BASE_URL)
    assert again.unchanged == 1
    person = db.session.scalar(select(Person))
    assert person is not None and person.citizen_id_hash == citizen_id_hash(VALID)


def test_one_citizen_twice_is_an_error(agency: Agency, tmp_path: Path) -> None:
    rows = [row("03003", "1", citizen_id=VALID), row("03003", "2", citizen_id=VALID)]
    report = import_people(read_rows(write_csv(tmp_path / "p.csv", rows)), base_url=BASE_URL)
    assert [str(error) for error in report.errors] == ["row 3, column citizen_id: repeats the citizen ID of row 2"]
    import_people(read_rows(write_csv(tmp_path / "a.csv", rows[:1])), base_url=BASE_URL)
    # Later, the same citizen under a new employee number: an admin's import renumbers the person.
    renumbered = import_people(read_rows(write_csv(tmp_path / "b.csv", rows[1:])), base_url=BASE_URL)
    assert renumbered.ok and (renumbered.created, renumbered.updated) == (0, 1)
    [person] = db.session.scalars(select(Person)).all()
    assert person.employee_no == "2"


def test_a_person_moving_agency_keeps_their_record(make_agency: object, agency: Agency, tmp_path: Path) -> None:
    other = make_agency("03004", parent=agency.parent)  # type: ignore[operator]
    import_people(read_rows(write_csv(tmp_path / "a.csv", [row("03003", "1", citizen_id=VALID)])), base_url=BASE_URL)
    person = db.session.scalar(select(Person))
    assert person is not None
    public_id = person.public_id
    scoped = import_people(
        read_rows(write_csv(tmp_path / "b.csv", [row("03004", "77", citizen_id=VALID)])),
        base_url=BASE_URL,
        within=[other],
    )
    # The new agency's own token cannot take an active person of another agency.
    assert [str(error) for error in scoped.errors] == ["row 2, column citizen_id: already belongs to another person"]
    person.status = PersonStatus.INACTIVE  # the old agency has marked them as gone
    db.session.flush()
    moved = import_people(
        read_rows(write_csv(tmp_path / "c.csv", [row("03004", "77", citizen_id=VALID)])),
        base_url=BASE_URL,
        within=[other],
    )
    assert moved.ok and moved.created == 0 and moved.updated == 1
    db.session.expire_all()
    [person] = db.session.scalars(select(Person)).all()
    assert (person.public_id, person.agency_id, person.employee_no) == (public_id, other.id, "77")
    assert person.status is PersonStatus.ACTIVE


@pytest.mark.parametrize("column", ["citizen_id", "per_cardno"])
def test_the_template_and_aliases_name_the_column(column: str) -> None:
    from academy.org.importer.columns import _HEADER_LOOKUP

    assert _HEADER_LOOKUP[column] == "citizen_id"
