"""Checking one row of an import against the columns and the reference data (agencies, lines, levels)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from academy.dates import parse_date
from academy.db import db
from academy.org.identity import citizen_id_hash, citizen_id_problem, identity_key
from academy.org.importer.columns import _EMAIL, _FALSE, _STATUS, _TRUE, COLUMN_BY_NAME, RowError
from academy.org.models import Agency, PersonStatus, PositionLevel, PositionLine, PositionType, RoleLevel
from academy.org.services import subtree_condition


@dataclass
class _Reference:
    agencies: dict[str, int]
    lines: dict[str, tuple[int, bool]]
    levels: dict[str, tuple[int, str, RoleLevel]]
    identity_key: bytes

    @classmethod
    def load(cls, within: Sequence[Agency] | None = None) -> _Reference:
        session = db.session
        agencies = select(Agency.code, Agency.id)
        if within is not None:
            agencies = agencies.where(subtree_condition(within))
        return cls(
            agencies=dict(session.execute(agencies).all()),
            lines={
                code: (id_, is_it)
                for code, id_, is_it in session.execute(select(PositionLine.code, PositionLine.id, PositionLine.is_it))
            },
            levels={
                code: (id_, type_code, role_level)
                for code, id_, type_code, role_level in session.execute(
                    select(PositionLevel.code, PositionLevel.id, PositionType.code, PositionLevel.role_level).join(
                        PositionLevel.position_type
                    )
                )
            },
            identity_key=identity_key(),
        )


def _validate(number: int, raw: dict[str, str], ref: _Reference) -> tuple[dict[str, Any] | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    for name, value in raw.items():
        column = COLUMN_BY_NAME[name]
        if "\x00" in value:
            # PostgreSQL's text cannot hold NUL; in an HR export it is a damaged cell.
            fail(name, "contains a NUL character")
        elif column.required and not value:
            fail(name, "is required")
        elif len(value) > column.max_length:
            fail(name, f"is longer than {column.max_length} characters")
    values: dict[str, Any] = {
        name: raw.get(name, "")
        for name in (
            "employee_no",
            "title_th",
            "first_name_th",
            "last_name_th",
            "title_en",
            "first_name_en",
            "last_name_en",
        )
    }
    agency_code = raw.get("agency_code", "")
    if agency_code and agency_code not in ref.agencies:
        fail("agency_code", f"no agency has the code {agency_code!r}")
    values["agency_id"] = ref.agencies.get(agency_code)

    line = ref.lines.get(raw.get("position_line_code", ""))
    if raw.get("position_line_code") and line is None:
        fail("position_line_code", f"unknown position line {raw['position_line_code']!r}")
    level = ref.levels.get(raw.get("position_level_code", "").upper())
    if raw.get("position_level_code") and level is None:
        fail("position_level_code", f"unknown position level {raw['position_level_code']!r} (M1 M2 D1 D2 K1-K5 O1-O4)")
    type_code = raw.get("position_type_code", "").upper()
    if type_code and level is not None and level[1] != type_code:
        fail("position_type_code", f"level {raw['position_level_code']} belongs to type {level[1]}, not {type_code}")

    email = raw.get("email", "").lower()
    if email and not _EMAIL.match(email):
        fail("email", f"{raw['email']!r} is not an email address")
    values["email"] = email or None

    # The ID itself goes no further than this function: only its keyed hash is kept.
    values["citizen_id_hash"] = None
    citizen_id = raw.get("citizen_id", "")
    if citizen_id:
        problem = citizen_id_problem(citizen_id)
        if problem:
            fail("citizen_id", problem)
        else:
            values["citizen_id_hash"] = citizen_id_hash(citizen_id, ref.identity_key)

    cio_text = raw.get("is_cio", "").lower()
    if cio_text not in _TRUE | _FALSE:
        fail("is_cio", f"{raw['is_cio']!r} is not yes or no")
    values["is_cio"] = cio_text in _TRUE

    status_text = raw.get("status", "").lower()
    if status_text not in _STATUS:
        fail("status", f"{raw['status']!r} is not active or inactive")
    values["status"] = _STATUS.get(status_text, PersonStatus.ACTIVE)

    values["start_date"] = None
    if raw.get("start_date"):
        try:
            values["start_date"] = parse_date(raw["start_date"])
        except ValueError:
            fail("start_date", f"{raw['start_date']!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")

    # None: the file has no such column, and the person's supervisor is left as it is.
    values["_supervisor_no"] = raw.get("supervisor_employee_no")

    if errors or line is None or level is None:
        return None, errors
    values["position_line_id"], values["_line_is_it"] = line
    values["position_level_id"], values["_level_role_level"] = level[0], level[2]
    return values, []
