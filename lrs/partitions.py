"""Monthly partitions of the statements and their index tables (PostgreSQL).

lrs_statements, lrs_statement_agents and lrs_statement_activities are partitioned by RANGE of
``stored``, one partition per calendar month in UTC (``lrs_statements_p2026_12`` holds
2026-12-01T00:00Z up to 2027-01-01T00:00Z), with a DEFAULT partition that catches a month
nobody created. ``ensure_partitions(ahead)``, run by ``flask academy lrs-partitions --ahead 3``
(and, later, a scheduled job), creates this month's and the next ``ahead`` months' partitions;
rows a default partition holds for such a month move into it. ``detach_month()`` detaches a
month's three partitions, which can then be dumped and dropped (archived): their statements
leave the LRS, their ids stay in lrs_statement_ids. On SQLite all of this is a no-op.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import text

from academy.db import db

PARTITIONED = ("lrs_statements", "lrs_statement_agents", "lrs_statement_activities")
PARTITION_NAME = re.compile(r"^lrs_statement(?:s|_agents|_activities)_(?:p\d{4}_\d{2}|default)$")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name: the partitions are no tables of the models (autogenerate skips them)."""
    return not (type_ == "table" and name is not None and PARTITION_NAME.match(name))


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, value: str) -> Month:
        """YYYY-MM."""
        year, month = value.split("-")
        if not 1 <= int(month) <= 12:
            raise ValueError(f"no month {value}")
        return cls(int(year), int(month))

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    def partition(self, table: str) -> str:
        return f"{table}_p{self.year:04d}_{self.month:02d}"


def is_partitioned() -> bool:
    """Whether this database partitions the statements (PostgreSQL after migration 0021)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    kind = db.session.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'lrs_statements'"))
    return kind == "p"


def _exists(name: str) -> bool:
    return db.session.scalar(text("SELECT 1 FROM pg_class WHERE relname = :name"), {"name": name}) is not None


def create_month(month: Month) -> list[str]:
    """Create the month's partition of each partitioned table that lacks one; return their names."""
    created = []
    start, end = month.start.isoformat(), month.plus(1).start.isoformat()
    bounds = f"FOR VALUES FROM ('{start}') TO ('{end}')"
    for table in PARTITIONED:
        name = month.partition(table)
        if _exists(name):
            continue
        default = f"{table}_default"
        in_range = "stored >= :start AND stored < :end"
        params = {"start": month.start, "end": month.plus(1).start}
        stray = _exists(default) and db.session.scalar(
            text(f"SELECT 1 FROM {default} WHERE {in_range} LIMIT 1"), params
        )
        if stray:
            # A partition cannot be created while the default one holds rows of its range: build
            # it beside the table, move the rows, then attach it.
            db.session.execute(text(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
            db.session.execute(text(f"INSERT INTO {name} SELECT * FROM {default} WHERE {in_range}"), params)
            db.session.execute(text(f"DELETE FROM {default} WHERE {in_range}"), params)
            db.session.execute(text(f"ALTER TABLE {table} ATTACH PARTITION {name} {bounds}"))
        else:
            db.session.execute(text(f"CREATE TABLE {name} PARTITION OF {table} {bounds}"))
        created.append(name)
    return created


def ensure_partitions(ahead: int = 3, *, today: date | None = None) -> list[str]:
    """Create the partitions of this month (UTC) and of the ``ahead`` months after it; return those created.

    Flushes, never commits; idempotent.
    """
    if not is_partitioned():
        return []
    this_month = Month.of(today or datetime.now(UTC).date())
    created = []
    for offset in range(ahead + 1):
        created += create_month(this_month.plus(offset))
    return created


def detach_month(month: Month) -> list[str]:
    """Detach the month's partitions (to archive them: dump, then drop); return their names."""
    if not is_partitioned():
        return []
    detached = []
    for table in PARTITIONED:
        name = month.partition(table)
        if _exists(name):
            db.session.execute(text(f"ALTER TABLE {table} DETACH PARTITION {name}"))
            detached.append(name)
    return detached


def partitions() -> list[tuple[str, str, int]]:
    """(partition, bounds, rows estimate) of every partitioned table, in name order."""
    if not is_partitioned():
        return []
    rows = db.session.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent"
            " WHERE p.relname = ANY(:tables) ORDER BY c.relname"
        ),
        {"tables": list(PARTITIONED)},
    ).all()
    return [(name, bounds, max(int(estimate), 0)) for name, bounds, estimate in rows]
