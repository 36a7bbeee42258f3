"""The rows an import has taken so far, in a temporary table of its own transaction, not in memory.

A national file (3,000,000 rows) cannot keep every row's keys in the importing process: the repeat
checks (a person or a citizen ID named twice), the people the file names (for a full import) and
the supervisors to resolve once every row is written all live in this table instead. Each chunk
asks it, set-based and through its unique indexes, for its own keys only, then adds its rows, so
the process holds one chunk however long the file is. The table goes with the import: dropped at
its end, and rolled back with its transaction if that fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, exists, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from academy.db import bulk_insert, db
from academy.org.importer.columns import CHUNK_SIZE, ImportReport, RowError
from academy.org.importer.lookups import one_of

#: A staged row: its place in the file, its person's key, what it holds (or None).
Staged = dict[str, Any]


class StagedRows:
    """The valid rows of one import so far: who each names, and what became of it."""

    def __init__(self) -> None:
        name = f"import_rows_{uuid.uuid4().hex[:12]}"
        self.table = Table(
            name,
            MetaData(),
            # The row's place among the staged rows (its file row number need not be unique or ordered).
            Column("position", Integer, primary_key=True, autoincrement=False),
            Column("row", Integer, nullable=False),
            # The person's key in one column ("agency id employee number"): one IN list, one index.
            Column("person_key", String, nullable=False),
            Column("agency_id", Integer, nullable=False),
            Column("employee_no", String, nullable=False),
            # Set on the first row with this citizen ID only.
            Column("citizen_id_hash", String, nullable=True),
            # Set once the row's person is written (or found unchanged): who a full import keeps active.
            Column("person_id", Integer, nullable=True),
            # None: the row's supervisor is left alone (no such column, or the row was refused).
            Column("supervisor_no", String, nullable=True),
            Index(f"{name}_key", "person_key", unique=True),
            Index(f"{name}_citizen", "citizen_id_hash", unique=True),
            prefixes=["TEMPORARY"],
            postgresql_on_commit="DROP",
        )
        self._positions = 0

    def check(
        self, valid: list[tuple[int, dict[str, Any]]], report: ImportReport
    ) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, Staged]]:
        """Drop (and report) the rows whose person or citizen ID an earlier row already named.

        Returns the rows kept and, by row number, what to stage (``add``) once the chunk is written:
        the first row to name a person or a citizen ID wins, and a later one names its row.
        """
        first_of_key, first_of_citizen = self._first_rows(
            {_person_key(values) for _number, values in valid},
            {values["citizen_id_hash"] for _number, values in valid if values["citizen_id_hash"]},
        )
        kept: list[tuple[int, dict[str, Any]]] = []
        staged: dict[int, Staged] = {}
        for number, values in valid:
            person_key = _person_key(values)
            first = first_of_key.setdefault(person_key, number)
            if first != number:
                report.invalid_rows += 1
                report.add_error(RowError(number, "employee_no", f"repeats the person of row {first}"))
                continue
            self._positions += 1
            entry: Staged = {
                "position": self._positions,
                "row": number,
                "person_key": person_key,
                "agency_id": values["agency_id"],
                "employee_no": values["employee_no"],
                "citizen_id_hash": None,
                "person_id": None,
                "supervisor_no": None,
            }
            staged[number] = entry
            citizen_hash = values["citizen_id_hash"]
            if citizen_hash:
                first = first_of_citizen.setdefault(citizen_hash, number)
                if first != number:
                    report.invalid_rows += 1
                    report.add_error(RowError(number, "citizen_id", f"repeats the citizen ID of row {first}"))
                    continue
                entry["citizen_id_hash"] = citizen_hash
            entry["supervisor_no"] = values.pop("_supervisor_no", None)
            kept.append((number, values))
        return kept, staged

    def _first_rows(self, keys: set[str], hashes: set[str]) -> tuple[dict[str, int], dict[str, int]]:
        """The staged row that first named each of these person keys, and each of these citizen-ID hashes.

        One query for both (a round trip fewer a chunk), each side through its unique index.
        """
        t = self.table
        wanted = [
            one_of(column, list(values))
            for column, values in ((t.c.person_key, keys), (t.c.citizen_id_hash, hashes))
            if values
        ]
        first_of_key: dict[str, int] = {}
        first_of_citizen: dict[str, int] = {}
        if wanted:
            for person_key, citizen_hash, row in db.session.execute(
                select(t.c.person_key, t.c.citizen_id_hash, t.c.row).where(or_(*wanted))
            ):
                if person_key in keys:
                    first_of_key[person_key] = row
                if citizen_hash in hashes:
                    first_of_citizen[citizen_hash] = row
        return first_of_key, first_of_citizen

    def add(self, staged: Iterable[Staged]) -> None:
        """Stage a chunk's rows (``check``'s, with their person ids set where written)."""
        bulk_insert(self.table, list(staged))

    def supervisor_chunks(self) -> Iterator[list[tuple[int, int, str, str]]]:
        """The rows with a supervisor column, a chunk at a time, in file order.

        Each as (row, agency id, employee number, supervisor's employee number or "").
        """
        t = self.table
        after = 0
        while True:
            chunk = db.session.execute(
                select(t.c.position, t.c.row, t.c.agency_id, t.c.employee_no, t.c.supervisor_no)
                .where(t.c.position > after, t.c.supervisor_no.is_not(None))
                .order_by(t.c.position)
                .limit(CHUNK_SIZE)
            ).all()
            if not chunk:
                return
            after = chunk[-1].position
            yield [(row.row, row.agency_id, row.employee_no, row.supervisor_no) for row in chunk]

    def index_people(self) -> None:
        """Index the staged person ids, for ``names``: only a full import asks, once, at its end."""
        Index(f"{self.table.name}_person", self.table.c.person_id).create(db.session.connection())

    def names(self, person_id: Any) -> ColumnElement[bool]:
        """Whether a row of the file was written to (or left unchanged) this person."""
        return exists().where(self.table.c.person_id == person_id)


def _person_key(values: dict[str, Any]) -> str:
    return f"{values['agency_id']} {values['employee_no']}"


@contextmanager
def staged_rows() -> Iterator[StagedRows]:
    """A new, empty StagedRows for one import, dropped at its end."""
    rows = StagedRows()
    connection = db.session.connection()
    rows.table.create(connection)
    failed = False
    try:
        yield rows
    except SQLAlchemyError:
        # The transaction has failed (on PostgreSQL no statement runs in it any more): the
        # caller's rollback takes the table with it, as it was created in that transaction.
        failed = True
        raise
    finally:
        if not failed:
            rows.table.drop(db.session.connection())
