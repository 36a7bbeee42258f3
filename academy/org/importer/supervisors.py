"""Resolving the supervisor_employee_no column once every row of the file is written (DPIS-style)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update

from academy.db import db
from academy.org.importer.columns import ImportReport, RowError
from academy.org.importer.lookups import people_by_keys
from academy.org.models import Agency, Person

COLUMN = "supervisor_employee_no"


def resolve_supervisors(chunks: Iterable[list[tuple[int, int, str, str]]], report: ImportReport) -> None:
    """Set each row's supervisor: the person with that employee number in the row's agency, else the nearest above.

    ``chunks``: (row, agency id, employee number, supervisor's employee number or ""), in file order.
    A supervisor nobody has is a row error (the caller does not commit); an empty cell clears the
    person's own supervisor, so that they report to their unit's head.
    """
    session = db.session
    paths: dict[int, str] = {}
    by_path: dict[str, int] = {}

    def lineage(agency_id: int) -> list[int]:
        parts = paths[agency_id].rstrip("/").split("/")
        return [by_path["/".join(parts[:depth]) + "/"] for depth in range(len(parts), 0, -1)]

    for chunk in chunks:
        if not paths:
            paths.update(dict(session.execute(select(Agency.id, Agency.path)).all()))
            by_path.update({path: agency_id for agency_id, path in paths.items()})
        wanted = {(agency_id, no) for _n, agency_id, no, _s in chunk}
        for _n, agency_id, _no, supervisor_no in chunk:
            if supervisor_no:
                wanted.update((ancestor, supervisor_no) for ancestor in lineage(agency_id))
        ids: dict[tuple[int, str], tuple[int, int | None]] = {
            (row.agency_id, row.employee_no): (row.id, row.supervisor_id)
            for row in people_by_keys((Person.id, Person.agency_id, Person.employee_no, Person.supervisor_id), wanted)
        }
        changes: list[dict[str, Any]] = []
        for number, agency_id, employee_no, supervisor_no in chunk:
            if (agency_id, employee_no) not in ids:  # a row skipped as invalid was not written
                continue
            person_id, current = ids[(agency_id, employee_no)]
            supervisor_id = None
            if supervisor_no:
                found = next((ids[(a, supervisor_no)] for a in lineage(agency_id) if (a, supervisor_no) in ids), None)
                if found is None:
                    _fail(report, number, f"no one in the agency has the employee number {supervisor_no!r}")
                    continue
                supervisor_id = found[0]
                if supervisor_id == person_id:
                    _fail(report, number, "a person cannot be their own supervisor")
                    continue
            if supervisor_id != current:
                changes.append({"id": person_id, "supervisor_id": supervisor_id})
        if changes and report.ok:
            session.execute(update(Person), changes)


def _fail(report: ImportReport, number: int, message: str) -> None:
    report.invalid_rows += 1
    report.add_error(RowError(number, COLUMN, message))
