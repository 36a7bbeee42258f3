"""Projections under concurrency: the per-person lock their writes take, and the rows a projection
shows so that its live rows can be compared with what ``rebuild-projections`` computes (lrs.pipeline).

Every projection of a stored batch (enrolment progress, evidence, attainment, standing,
training years, cmi5 states) is about people. Concurrent batches about the same person would
each read that person's rows before the other's commit and write a stale result; so a batch
first takes a transaction-scoped PostgreSQL advisory lock for each person it concerns, in
ascending id order (one order for everyone: no deadlock), and the projections then read
and write that person's rows alone (lrs.pipeline.lock_batch_people, the first subscriber).
SQLite serialises writers by itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, text
from sqlalchemy.dialects import postgresql, sqlite

from academy.db import Base, db, table_of

#: The first key of our advisory locks (pg_advisory_xact_lock(int, int)): people, apart from any
#: other advisory lock the database may see. "PE" in ASCII.
PERSON_LOCK_SPACE = 0x5045

_HELD = "academy.locked_people"

# The sorted subquery fixes the order in which the outer query takes the locks.
_LOCK_SQL = text(
    "SELECT pg_advisory_xact_lock(:space, person_id) "
    "FROM (SELECT DISTINCT unnest(CAST(:ids AS integer[])) AS person_id ORDER BY 1) AS people"
)


def lock_people(person_ids: Iterable[int]) -> bool:
    """Hold these people's projection lock until the transaction ends (PostgreSQL), in id order;
    return whether a lock was taken now (False: all held already, or not PostgreSQL).

    Objects read before the lock may be stale (another transaction may have committed since),
    so the session's objects are expired once a new lock is taken; pending changes are flushed
    first.
    """
    session = db.session()  # the current Session itself: the scoped proxy does not offer get_transaction
    if session.get_bind().dialect.name != "postgresql":
        return False
    transaction = session.get_transaction()
    held_in, held = session.info.get(_HELD, (None, set()))
    if held_in is not transaction:
        held = set()
    wanted = sorted(set(person_ids) - held)
    if not wanted:
        return False
    session.flush()
    session.execute(_LOCK_SQL, {"space": PERSON_LOCK_SPACE, "ids": wanted})
    session.info[_HELD] = (session.get_transaction(), held | set(wanted))
    session.expire_all()
    return True


# --- writes that cannot collide -------------------------------------------------------------------


def upsert_rows(model: type[Base], rows: list[dict[str, Any]], key: Sequence[str]) -> None:
    """Insert these rows, or update the rows with the same ``key`` to them (INSERT ... ON CONFLICT DO UPDATE).

    Even a writer that holds no lock (a bulk refresh, a rebuild) then never meets a unique violation.
    Rows go in key order, so that two writers of overlapping rows lock them in the same order.
    """
    if not rows:
        return
    statement = _dialect_insert(model)
    names = [name for name in rows[0] if name not in key]
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in names}
    )
    db.session.execute(statement, sorted(rows, key=lambda row: tuple(row[name] for name in key)))


def insert_missing(model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose key is not there yet (INSERT ... ON CONFLICT DO NOTHING), in key order."""
    if rows:
        db.session.execute(_dialect_insert(model).on_conflict_do_nothing(), sorted(rows, key=_row_order))


def _row_order(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(str(value) for value in row.values())


def _dialect_insert(model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    # Into the table, not the model: the rows go as one executemany, not the ORM's bulk way (table_of).
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table_of(model))
    if dialect == "sqlite":
        return sqlite.insert(table_of(model))
    raise NotImplementedError(f"no INSERT ... ON CONFLICT for {dialect}")


# --- live against rebuilt ----------------------------------------------------------------------------

#: A projection's rows, per table, as comparable tuples (lrs.pipeline.rebuild_and_compare).
Snapshot = dict[str, set[tuple[Any, ...]]]


def rows_of(query: Select[*tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    """The query's rows as a set of tuples, for a projection's snapshot."""
    return {tuple(row) for row in db.session.execute(query)}
