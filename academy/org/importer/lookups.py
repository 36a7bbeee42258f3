"""Set-based lookups of a chunk's people: one array parameter per column on PostgreSQL.

A ``(agency_id, employee_no) IN (...)`` of a thousand pairs sends two thousand parameters,
which psycopg splices into the query text, and PostgreSQL plans it as a filter that grows
with the table: a 400,000-row import spent most of its time there. On PostgreSQL the keys
go as two arrays, unnested and joined on the unique index; elsewhere (SQLite) the tuple IN
stays, which SQLite answers from the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

from academy.db import db
from academy.org.models import Person


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def people_by_keys(columns: Sequence[Any], keys: Iterable[tuple[int, str]]) -> Any:
    """The rows (of ``columns``) of the people with these (agency id, employee number) keys."""
    keys = list(keys)
    if not keys:
        return []
    if not _on_postgresql():
        return db.session.execute(select(*columns).where(tuple_(Person.agency_id, Person.employee_no).in_(keys)))
    wanted = select(
        func.unnest(bindparam("agency_ids", [a for a, _n in keys], type_=ARRAY(Integer))).label("agency_id"),
        func.unnest(bindparam("employee_nos", [n for _a, n in keys], type_=ARRAY(String))).label("employee_no"),
    ).subquery("wanted")
    return db.session.execute(
        select(*columns).join(
            wanted, (Person.agency_id == wanted.c.agency_id) & (Person.employee_no == wanted.c.employee_no)
        )
    )


def one_of(column: Any, values: Sequence[Any], item_type: Any = None) -> ColumnElement[bool]:
    """``column IN values``: on PostgreSQL ``= ANY(array)``, one parameter however many values."""
    if not _on_postgresql():
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=ARRAY(item_type or column.type)))
