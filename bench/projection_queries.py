"""Benchmark: the SQL queries one batch of 50 (or ``--size``) costs, per projection and per query text.

The world of bench/projection_load.py (the demo's people registered, courses aligned, half the
learners enrolled) on a fresh database of the benchmark cluster; its realistic batches (about half
completions of aligned courses and activities by registered people, now and then a void) POSTed
in this process through the Flask test client by a platform client, credentials issued as in
production (queued for the worker). After ``--warm-up`` batches, ``--batches`` more are counted
(SQLAlchemy ``before_cursor_execute``): the queries per batch of each projection (the rest is the
LRS's own: authentication, storing, the commit), then the projections' queries grouped by their
SQL text (IN lists and literals folded), most frequent first. ``--off`` counts the same batches
with no projection as well (as many more batches of the same mix). Last, the rows each table had
written (inserted, updated or deleted, from pg_stat_user_tables: COPY included) per batch: the
LRS's own tables against the projections'.

    .venv/bin/python bench/projection_queries.py [--batches 20] [--warm-up 10] [--size 50] [--off]
        [--people 3000] [--learners 3000] [--top 40] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lrs_common import fresh_postgres, migrate_and_create_client
from projection_load import BATCH, build, make_batch
from sqlalchemy import create_engine, text

#: The benchmark cluster (tuned, no replica): bench data never goes to the tests' server.
BENCH_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5434/postgres"
LRS = "(the LRS itself)"


def folded(sql: str) -> str:
    """The query's text with its parameter lists and literals folded, so that repeats group together."""
    sql = re.sub(r"\s+", " ", sql).strip()
    sql = re.sub(r"::[A-Z]+(?:\(\d+\))?(?: WITH(?:OUT)? TIME ZONE)?(?:\[\])?", "", sql)
    sql = re.sub(r"%\(\w+\)s|\$\d+|\?|(?<!:):\w+", "?", sql)
    sql = re.sub(r"\(\?(?:, \?)*\)", "(?…)", sql)
    sql = re.sub(r"(?:\(\?…\)(?:, )?)+", "(?…)…", sql)
    return sql


class Counting:
    """Counts the queries an engine runs, each under the projection being applied when it ran."""

    def __init__(self) -> None:
        self.current = LRS
        self.by_projection: Counter[str] = Counter()
        self.by_text: Counter[tuple[str, str]] = Counter()
        self.seconds: Counter[str] = Counter()
        self.sql_seconds: Counter[str] = Counter()
        self.text_seconds: Counter[tuple[str, str]] = Counter()
        self._started = 0.0
        self._text = ("", "")
        #: Every query of the last batch, in order (--trace).
        self.trace: list[tuple[str, str]] = []
        self.on = False

    def note(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if self.on:
            self.by_projection[self.current] += 1
            self._text = (self.current, folded(statement))
            self.trace.append(self._text)
            self.by_text[self._text] += 1
            self._started = time.perf_counter()

    def done(self, *_args: Any) -> None:
        if self.on:
            took = time.perf_counter() - self._started
            self.sql_seconds[self.current] += took
            self.text_seconds[self._text] += took

    @contextmanager
    def applying(self, name: str) -> Iterator[None]:
        saved, self.current = self.current, name
        started = time.perf_counter()
        try:
            yield
        finally:
            self.current = saved
            if self.on:
                self.seconds[name] += time.perf_counter() - started


#: Row writes of one table: inserted, updated, deleted (an upsert that updates counts as updated).
Writes = tuple[int, int, int]


def row_writes(database_url: str) -> dict[str, Writes]:
    """Every table's rows written so far, as PostgreSQL counts them (COPY and upserts included).

    Call it with the app's connections closed: a backend hands its counts over when it exits.
    """
    time.sleep(1.0)  # the closed backends' exit (and their counts' hand-over) is not waited for by the client
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables")
            ).all()
    finally:
        engine.dispose()
    return {name: (inserted, updated, deleted) for name, inserted, updated, deleted in rows}


def written_between(before: dict[str, Writes], after: dict[str, Writes]) -> dict[str, Writes]:
    """The rows each table had written between two readings (tables with none left out)."""
    delta = {
        name: tuple(a - b for a, b in zip(counts, before.get(name, (0, 0, 0)), strict=True))
        for name, counts in after.items()
    }
    return {name: counts for name, counts in delta.items() if any(counts)}  # type: ignore[misc]


def print_writes(title: str, written: dict[str, Writes], batches: int, top: int = 8) -> None:
    """Rows written per batch: the LRS's tables (lrs_*, partitions included) against the others'."""
    lrs = {name: counts for name, counts in written.items() if name.startswith("lrs_")}
    others = {name: counts for name, counts in written.items() if name not in lrs}
    print(f"rows written per batch, {title}:")
    for label, tables in (("the LRS's tables", lrs), ("the projections' tables", others)):
        inserted, updated, deleted = (sum(counts[i] for counts in tables.values()) / batches for i in range(3))
        print(
            f"  {label:26} {inserted + updated + deleted:7.1f}  "
            f"(inserted {inserted:.1f}, updated {updated:.1f}, deleted {deleted:.1f})"
        )
        for name, counts in sorted(tables.items(), key=lambda item: -sum(item[1]))[:top]:
            print(f"    {name:34} {sum(counts) / batches:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=20, help="batches counted")
    parser.add_argument("--warm-up", type=int, default=10, help="batches stored first, not counted")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=3000, help="registered people the statements are about")
    parser.add_argument("--top", type=int, default=40, help="query texts shown")
    parser.add_argument(
        "--size",
        type=int,
        default=BATCH,
        help="statements a batch (a worker draining a queue would project more at once)",
    )
    parser.add_argument("--off", action="store_true", help="count the same batches with no projection too")
    parser.add_argument("--trace", metavar="PROJECTION", help="print its queries of the last batch, in order")
    parser.add_argument("--postgres", default=BENCH_POSTGRES)
    args = parser.parse_args()

    from dataclasses import replace

    from sqlalchemy import event

    from academy import create_app
    from academy.config import Settings
    from academy.db import db

    with fresh_postgres(args.postgres) as database_url:
        started = time.monotonic()
        world = build(database_url, args.people, args.learners)
        auth = migrate_and_create_client(database_url, platform=True)
        print(
            f"built {args.people:,} people, {len(world.courses)} courses, {len(world.registrations):,} enrolments "
            f"in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        os.environ["ACADEMY_CREDENTIALS_ISSUE_IN"] = "job"  # as production issues them: the request queues
        settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
        app = create_app(settings=settings)
        counting = Counting()
        registered = app.extensions["lrs.projections"]

        def counted(projection: Any) -> Any:
            def apply(batch: Any) -> None:
                with counting.applying(projection.name):
                    projection.apply(batch)

            return replace(projection, apply=apply)

        app.extensions["lrs.projections"] = [counted(projection) for projection in registered]
        headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
        rng = random.Random(2569)
        completions: list[str] = []
        client = app.test_client()

        def post(batch: list[dict[str, Any]]) -> None:
            response = client.post("/xapi/statements", json=batch, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"a batch answered {response.status_code}: {response.get_data(as_text=True)[:300]}")

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", counting.note)
            event.listen(db.engine, "after_cursor_execute", counting.done)
            for _ in range(args.warm_up):
                post(make_batch(world, rng, completions, args.size))
            batches = [make_batch(world, rng, completions, args.size) for _ in range(args.batches)]
            db.engine.dispose()
            before_on = row_writes(database_url)
            counting.on = True
            started, cpu = time.monotonic(), time.process_time()
            for batch in batches:
                counting.trace = []
                post(batch)
            trace = counting.trace
            seconds, cpu = time.monotonic() - started, time.process_time() - cpu
            counting.on = False
            db.engine.dispose()
            after_on = row_writes(database_url)
            written_off: dict[str, Writes] = {}
            off: Counter[str] = Counter()
            off_seconds = off_cpu = 0.0
            if args.off:
                app.extensions["lrs.projections"] = []
                # More batches of the same mix (the counted ones are stored already).
                again = [make_batch(world, rng, completions, args.size) for _ in range(args.batches)]
                saved, counting.by_projection = counting.by_projection, Counter()
                counting.on = True
                started, off_cpu = time.monotonic(), time.process_time()
                for batch in again:
                    post(batch)
                off_seconds, off_cpu = time.monotonic() - started, time.process_time() - off_cpu
                counting.on = False
                off, counting.by_projection = counting.by_projection, saved
                db.engine.dispose()
                written_off = written_between(after_on, row_writes(database_url))
            event.remove(db.engine, "before_cursor_execute", counting.note)
            event.remove(db.engine, "after_cursor_execute", counting.done)
            db.engine.dispose()

    n = args.batches
    print(
        f"queries per batch of {args.size}, {n} batches counted after {args.warm_up} (in-process, "
        f"{seconds / n * 1000:.0f} ms a batch, {cpu / n * 1000:.1f} ms of this process's CPU; "
        f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}):"
    )
    projected = 0
    for name in [LRS] + [p.name for p in registered]:
        count = counting.by_projection[name]
        if name != LRS:
            projected += count
        took = (
            f"  {counting.seconds[name] / n * 1000:6.1f} ms, in SQL {counting.sql_seconds[name] / n * 1000:6.1f} ms"
            if name != LRS
            else ""
        )
        print(f"  {name:28} {count / n:7.1f}{took}")
    print(f"  {'every projection':28} {projected / n:7.1f}")
    if args.off:
        off_ms = off_seconds / n * 1000
        print(
            f"  {'projections off, in all':28} {sum(off.values()) / n:7.1f}  ({off_ms:.0f} ms a batch, "
            f"{off_cpu / n * 1000:.1f} ms of CPU)"
        )
    print(f"the projections' queries by text (per batch: how many, ms in SQL; top {args.top}):")
    rows = [(count, name, sql) for (name, sql), count in counting.by_text.items() if name != LRS]
    for count, name, sql in sorted(rows, reverse=True)[: args.top]:
        print(f"  {count / n:5.1f} {counting.text_seconds[(name, sql)] / n * 1000:6.1f}  {name:18} {sql[:150]}")

    print_writes("every projection on", written_between(before_on, after_on), n)
    if written_off:
        print_writes("projections off", written_off, n)

    if args.trace:
        print(f"the queries of {args.trace} in the last batch, in order:")
        for name, sql in trace:
            if name == args.trace:
                print(f"  {sql[:150]}")


if __name__ == "__main__":
    main()
