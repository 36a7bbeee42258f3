"""The declarative base and the one ``db`` object every model uses."""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Enum,
    Insert,
    MetaData,
    Table,
    TypeDecorator,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import flag_modified

from academy.replica import RoutingSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, always stored and returned in UTC, whatever the database.

    SQLite keeps no offset: it would store a +07:00 moment by its clock time and compare
    it wrongly with UTC ones, and hand back naive values. Converting here, once, keeps
    every comparison and every value the same on SQLite and PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def string_enum(cls: type[enum.Enum], name: str) -> Enum:
    """An enum column stored as its values in a string with a CHECK: portable and easy to migrate."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Reads of the views marked for it may go to a replica (academy.replica).
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})


def configure_sqlite(engine: Engine, busy_timeout: float = 10.0) -> None:
    """Give SQLite foreign keys, WAL and real transactions that wait for the write lock (savepoints need BEGIN).

    ``busy_timeout`` is how many seconds a transaction waits for the lock before "database is locked".
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT;
        # SQLAlchemy's documented fix is to turn it off and emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # IMMEDIATE: every transaction takes the write lock at its start, waiting up to the
        # busy timeout for it. With a deferred BEGIN in WAL mode, a transaction that read and
        # then writes after another one committed cannot be given the lock at all (its
        # snapshot is stale) and fails at once with "database is locked", busy timeout or not.
        # Not only for writing requests: too many GETs write too (last use of a token, the
        # audit of an export, a lesson's progress), and no rule can know before the first read.
        # The price is that transactions run one at a time; on this embedded, one-machine
        # database they are short (a request's queries take milliseconds beside the rest of
        # the request), and tests/test_sqlite_concurrency.py measures readers among writers. A
        # long batch job (an import, the demo) keeps requests waiting, up to the busy timeout.
        # Production runs on PostgreSQL, which this does not touch.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def table_of(model: type[Base] | Table) -> Table:
    """A model's table. Rows executed as many parameter sets into a model go the ORM's bulk way, which
    splits them by which of their values are None; into its table they go as one INSERT."""
    return model if isinstance(model, Table) else cast(Table, model.__table__)


def insert_ignoring_duplicates(model: type[Base] | Table) -> Insert:
    """An INSERT that skips rows whose unique key already exists (ON CONFLICT DO NOTHING)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise NotImplementedError(f"no INSERT ... ON CONFLICT for {dialect}")


COPY_THRESHOLD = 100


def bulk_insert(model: type[Base] | Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows fast: COPY on PostgreSQL, executemany elsewhere (and for a few rows).

    ``model``: a model or a Table. Every row must carry the same keys; JSON columns are sent as JSON. Rows go into the
    session's current transaction, like any other statement.
    """
    if not rows:
        return
    session = db.session
    connection = session.connection()
    table = table_of(model)
    # A COPY costs a few round trips of its own: below this, executemany is quicker (into the table: a
    # batch of 50 statements went as ~26 INSERTs the ORM's way, see table_of).
    if connection.dialect.name != "postgresql" or len(rows) < COPY_THRESHOLD:
        session.execute(insert(table), rows)
        return
    import psycopg

    names = list(rows[0])
    json_columns = {name for name in names if isinstance(table.c[name].type, JSON)}
    # COPY bypasses SQLAlchemy: a decorated type's own conversion is applied here.
    decorated = {name: t for name in names if isinstance(t := table.c[name].type, TypeDecorator)}
    if decorated:
        rows = [
            {**row, **{name: t.process_bind_param(row[name], connection.dialect) for name, t in decorated.items()}}
            for row in rows
        ]
    columns = ", ".join(f'"{name}"' for name in names)
    raw = cast(psycopg.Connection[Any], connection.connection.dbapi_connection)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        # Only the columns that may need it are converted: a 400,000-row import writes millions of values.
        converted = [
            (index, name in json_columns)
            for index, name in enumerate(names)
            if name in json_columns or isinstance(table.c[name].type, Enum | TypeDecorator)
        ]
        for row in rows:
            values = [row[name] for name in names]
            for index, is_json in converted:
                values[index] = _copy_value(values[index], is_json)
            copy.write_row(values)


def _copy_value(value: Any, is_json: bool) -> Any:
    from psycopg.types.json import Jsonb

    if is_json:
        return Jsonb(value)
    # Enums are stored by value (as the models' Enum types do), not by member name.
    return value.value if isinstance(value, enum.Enum) else value


def update_alike(objects: Iterable[Base], attributes: Sequence[str]) -> None:
    """Have the next flush write every one of ``attributes`` of those of ``objects`` it updates anyway.

    The flush groups the UPDATEs of one table by the columns they set, in primary-key order: objects
    that changed different columns cost an UPDATE each; with the same columns, one executemany.
    """
    session = db.session()
    for target in objects:
        state = inspect(target)
        if state.modified and session.is_modified(target):
            for name in attributes:
                if name in state.dict:
                    flag_modified(target, name)


def reserve_ids(model: type[Base], column: str, count: int) -> list[int]:
    """Take ``count`` values of a serial column's sequence (PostgreSQL), for rows COPY will insert."""
    table = cast(Table, model.__table__).name
    result = db.session.execute(
        text(f"SELECT nextval(pg_get_serial_sequence('{table}', '{column}')) FROM generate_series(1, :count)"),
        {"count": count},
    )
    return [int(value) for value in result.scalars()]


# --- transient failures ---------------------------------------------------------------------

#: PostgreSQL's serialization_failure and deadlock_detected: the transaction lost a race and
#: may simply be run again.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})

_T = TypeVar("_T")


def is_transient(error: BaseException) -> bool:
    """Whether a database error is a lost race (deadlock, serialisation failure) worth retrying."""
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in TRANSIENT_SQLSTATES:
        return True
    # SQLite reports a writer that could not get the lock in time as "database is locked".
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)


def retry_transaction(work: Callable[[], _T], *, attempts: int = 5, base_delay: float = 0.02) -> _T:
    """Run ``work`` and commit; after a deadlock or serialisation failure roll back and run it again.

    ``work`` must do all of the transaction's writes itself (it is run from the start again),
    and may not commit. Waits grow exponentially with full jitter; the last failure is raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except DBAPIError as error:
            db.session.rollback()
            if attempt == attempts or not is_transient(error):
                raise
            time.sleep(random.uniform(0, base_delay * 2**attempt))
    raise AssertionError("unreachable")


#: PostgreSQL's admin_shutdown, crash_shutdown and cannot_connect_now: the server is stopping,
#: was killed, or is still starting. Class 08 (connection exception) is a lost connection.
UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means the database does not answer just now (down, restarting, locked).

    The request may succeed when sent again a little later: the answer is 503 with Retry-After,
    not 500.
    """
    if isinstance(error, PoolTimeoutError):  # every pooled connection busy for the pool's whole timeout
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:  # the connection was lost mid-request (server stopped or restarted)
        return True
    sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
    if sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES:
        return True
    if not isinstance(error, OperationalError):
        return False
    # No statement: the error came while connecting (refused, timed out, no such host).
    # SQLite: the write lock stayed taken for the whole busy timeout.
    return error.statement is None or "database is locked" in str(error.orig)
