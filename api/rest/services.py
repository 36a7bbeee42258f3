"""What the API's handlers call beyond the domain services: agency search and the bulk upsert of people."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, or_, select

from academy.org.importer import ImportReport, RowError, import_people
from academy.org.models import Agency, AgencyKind
from academy.org.services import subtree_condition


def agencies_query(q: str, kind: AgencyKind | None, within: Sequence[Agency] | None) -> Select[Agency]:
    """Agencies whose code or name has every word of ``q``, within the given agencies (None = all)."""
    query = select(Agency).order_by(Agency.path)
    if within is not None:
        query = query.where(subtree_condition(within))
    if kind is not None:
        query = query.where(Agency.kind == kind)
    for word in q.split():
        pattern = f"%{word}%"
        query = query.where(
            or_(Agency.code.ilike(pattern), Agency.name_th.ilike(pattern), Agency.name_en.ilike(pattern))
        )
    return query


def record_rows(records: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, dict[str, str]]]:
    """The records of a bulk request as the importer's rows: (index, {column: text})."""
    for index, record in enumerate(records):
        row = {name: "" if value is None else str(value).strip() for name, value in record.items() if name != "is_cio"}
        row["is_cio"] = "yes" if record.get("is_cio") else "no"
        yield index, row


def upsert_people(
    records: Sequence[Mapping[str, Any]], *, within: Sequence[Agency] | None, base_url: str
) -> ImportReport:
    """Create or update people as the CSV import does, naming rows by their index; flushes, never commits.

    Agencies outside ``within`` are unknown to the import, so a row naming one is invalid.
    """
    return import_people(record_rows(records), base_url=base_url, within=within)


def row_errors(errors: Sequence[RowError]) -> dict[int, dict[str, list[str]]]:
    """Row errors shaped as marshmallow shapes a list's: {index: {field: [messages]}}."""
    shaped: dict[int, dict[str, list[str]]] = {}
    for error in errors:
        shaped.setdefault(error.row, {}).setdefault(error.column, []).append(error.message)
    return shaped
