"""Generate a large LRS: N statements (default 10,000,000) of the mix of lrs_common.make_statement
in a database that is kept (the query and ingest benchmarks then run on it with --database).

The bulk is stored over the past ``--days`` (one stored time per batch of ``--batch``, a transaction each, earliest
first, so that the order of pk is the order of stored, as in a live LRS) through
lrs.statements.load_statements: the write path's own code stamps the statements, builds their
rows and COPYs them into the tables with all their indexes; no validation, no duplicate check,
no projections. Then a sample (``--sample``, stored now) goes through the real write path,
store_statements, batches of 500 with the projections on. Then ``rebuild-projections`` rebuilds
every projection from all the statements (skip with --no-rebuild), then VACUUM ANALYZE. Each
part prints how long it took, with the load average; at the end the database's size.

    .venv/bin/python bench/lrs_generate.py [--statements 10000000] [--database academy_lrs10m]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5434/postgres] [--people 100000]
        [--activities 2000] [--sample 100000] [--no-rebuild] [--append (resumes a stopped load)]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from lrs_common import make_statement, migrate_and_create_client
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5434/postgres"
#: The loader's authority: the platform's own writer, as the player's statements are.
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://academy.example.go.th", "name": "loader"}}


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def database_of(server_url: str, name: str, *, append: bool) -> str:
    server = make_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if exists and not append:
            raise SystemExit(f"database {name} exists: drop it first, or pass --append")
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def app_for(database_url: str) -> Any:
    from academy import create_app
    from academy.config import Settings

    return create_app(settings=Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url}))


def span(args: argparse.Namespace) -> tuple[datetime, datetime]:
    """The stored times of the bulk: the ``args.days`` before ``args.end``."""
    end = datetime.fromisoformat(args.end).replace(tzinfo=UTC)
    return end - timedelta(days=args.days), end


def stored_of(args: argparse.Namespace, number: int) -> datetime:
    """The stored time of batch ``number`` of the bulk (to the millisecond, as the LRS stores it)."""
    start, end = span(args)
    moment = start + (end - start) / max(args.statements // args.batch, 1) * number
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def create_months(database_url: str, args: argparse.Namespace) -> None:
    """The partitions of every month of the span (the job creates only the coming ones)."""
    from academy.extensions import db
    from lrs.partitions import Month, create_month

    start, end = span(args)
    with app_for(database_url).app_context():
        month = Month.of(start.date())
        while month.start <= end:
            create_month(month)
            month = month.plus(1)
        db.session.commit()
        db.engine.dispose()


def batches_done(database_url: str, args: argparse.Namespace) -> set[int]:
    """The batches of the bulk already stored (by their stored times): a stopped load resumes."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = {moment for (moment,) in connection.execute(text("SELECT DISTINCT stored FROM lrs_statements"))}
    engine.dispose()
    return {n for n in range(args.statements // args.batch) if stored_of(args, n) in stored}


def bulk(database_url: str, args: argparse.Namespace, loader: int, done: set[int]) -> int:
    """One loader's share of the bulk, through load_statements: every ``args.loaders``-th batch, so
    that the loaders keep pace and the pks stay (almost) in the order of stored; return how many.

    A transaction per batch (retried after a deadlock with the other loader over new agents or
    activities); each batch has its own seed, so that a resumed load makes the same statements.
    """
    from academy.db import retry_transaction
    from academy.extensions import db
    from lrs.statements import load_statements

    app = app_for(database_url)
    loaded = 0
    began = time.monotonic()
    with app.app_context():
        for number in range(loader, args.statements // args.batch, args.loaders):
            if number in done:
                continue
            rng = random.Random(f"{args.seed}-{number}")
            batch = [make_statement(rng, args.people, args.activities) for _ in range(args.batch)]
            moment = stored_of(args, number)
            retry_transaction(lambda: load_statements(batch, stored=moment, authority=AUTHORITY))  # noqa: B023
            loaded += len(batch)
            if (loaded // args.batch) % 50 == 0:
                elapsed = time.monotonic() - began
                print(
                    f"  loader {loader}: {loaded:,} statements in {elapsed:.0f} s = {loaded / elapsed:,.0f}/s,"
                    f" now at {moment:%Y-%m-%d} ({load_average()})",
                    flush=True,
                )
        db.engine.dispose()
    return loaded


def sample(database_url: str, args: argparse.Namespace) -> int:
    """The sample, through store_statements (projections on), stored now; return how many."""
    from academy.extensions import db
    from lrs.partitions import ensure_partitions
    from lrs.statements import store_statements
    from lrs.versions import XapiVersion

    app = app_for(database_url)
    rng = random.Random(args.seed + 1)
    with app.app_context():
        ensure_partitions(1)
        db.session.commit()
        for begin in range(0, args.sample, 500):
            batch = [make_statement(rng, args.people, args.activities) for _ in range(min(500, args.sample - begin))]
            store_statements(batch, version=XapiVersion.V1, authority=AUTHORITY)
            db.session.commit()
        db.engine.dispose()
    return args.sample


def rebuild(database_url: str) -> str:
    from lrs.cli import rebuild_projections_command

    app = app_for(database_url)
    with app.app_context():
        result = app.test_cli_runner().invoke(rebuild_projections_command)
    if result.exit_code:
        raise SystemExit(f"rebuild-projections failed: {result.output}{result.exception!r}")
    return str(result.output).strip()


def timed(label: str, count: int | None, began: float) -> None:
    elapsed = time.monotonic() - began
    rate = f" = {count / elapsed:,.0f} statements/s" if count else ""
    print(f"{label}: {elapsed:,.0f} s{rate} ({load_average()})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=10_000_000, help="statements of the bulk")
    parser.add_argument("--sample", type=int, default=100_000, help="statements through store_statements")
    parser.add_argument("--database", default="academy_lrs10m")
    parser.add_argument("--postgres", default=BENCH_POSTGRES, help="the server (its database is not used)")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000, help="courses (12 lessons each)")
    parser.add_argument("--days", type=int, default=365, help="the span of stored times of the bulk")
    parser.add_argument("--batch", type=int, default=2_000, help="statements per load_statements (one stored)")
    parser.add_argument(
        "--end", default=f"{datetime.now(UTC):%Y-%m-%d}", help="the bulk is stored in the --days before (UTC)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loaders", type=int, default=2, help="loader processes of the bulk")
    parser.add_argument("--no-rebuild", action="store_true", help="skip rebuild-projections")
    parser.add_argument("--append", action="store_true", help="add to an existing database")
    args = parser.parse_args()
    database_url = database_of(args.postgres, args.database, append=args.append)
    print(f"database {make_url(database_url).database} ({load_average()})", flush=True)
    began = time.monotonic()
    migrate_and_create_client(database_url, platform=True)
    timed("migrations", None, began)
    total = 0
    if args.statements:
        began = time.monotonic()
        create_months(database_url, args)
        done = batches_done(database_url, args) if args.append else set()
        if done:
            print(f"  {len(done) * args.batch:,} statements of the bulk already stored: the rest follows", flush=True)
        with ProcessPoolExecutor(args.loaders) as pool:
            loaded = sum(
                pool.map(
                    bulk, *zip(*[(database_url, args, loader, done) for loader in range(args.loaders)], strict=True)
                )
            )
        total += loaded
        timed(f"bulk: {loaded:,} statements through load_statements (COPY)", loaded, began)
    if args.sample:
        began = time.monotonic()
        total += sample(database_url, args)
        timed(f"sample: {args.sample:,} statements through store_statements", args.sample, began)
    if not args.no_rebuild:
        began = time.monotonic()
        print(f"  {rebuild(database_url)}", flush=True)
        timed("rebuild-projections", total, began)
    began = time.monotonic()
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
        size = connection.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        stored = connection.execute(text("SELECT count(*) FROM lrs_statement_ids")).scalar_one()
    engine.dispose()
    timed("VACUUM ANALYZE", None, began)
    print(f"database {make_url(database_url).database}: {stored:,} statements, {size} ({load_average()})")


if __name__ == "__main__":
    main()
