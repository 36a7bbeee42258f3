"""Benchmark: filtered statement queries with N statements stored (default 1,000,000), under
gunicorn on PostgreSQL; prints p50 and p95 per query kind.

Statements are loaded through the real write path (store_statements) by parallel loader
processes, then queried over HTTP by concurrent clients on loopback. With --database the
statements of an existing database are queried instead (10,000,000 of bench/lrs_generate.py:
--postgres postgresql+psycopg://postgres@127.0.0.1:5434/postgres --database academy_lrs10m).
The queries are about statements picked at random among those stored; since/until is the day
before one was stored.

    .venv/bin/python bench/lrs_query.py [--statements 1000000] [--requests 300] [--clients 4]
        [--postgres URL --database NAME]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import threading
import time
import urllib.parse
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

from lrs_common import DEFAULT_POSTGRES, free_port, fresh_postgres, gunicorn, make_statement, migrate_and_create_client
from sqlalchemy.engine import make_url

LOAD_BATCH = 500


def load(database_url: str, seed: int, count: int) -> int:
    """Store ``count`` statements in batches through lrs.statements.store_statements."""
    from academy import create_app
    from academy.config import Settings
    from academy.extensions import db
    from lrs.statements import store_statements
    from lrs.versions import XapiVersion

    app = create_app(settings=Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url}))
    rng = random.Random(seed)
    authority = {"objectType": "Agent", "account": {"homePage": "https://academy.example.go.th", "name": "loader"}}
    with app.app_context():
        for start in range(0, count, LOAD_BATCH):
            batch = [make_statement(rng) for _ in range(min(LOAD_BATCH, count - start))]
            store_statements(batch, version=XapiVersion.V1, authority=authority)
            db.session.commit()
        db.engine.dispose()
    return count


def stored_count(database_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = int(connection.execute(text("SELECT count(*) FROM lrs_statement_ids")).scalar_one())
    engine.dispose()
    return count


def analyze(database_url: str) -> None:
    """Refresh the planner's statistics, as autovacuum would soon after a bulk load."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def stored_sample(database_url: str, size: int = 2000) -> list[dict[str, Any]]:
    """About ``size`` stored statements, picked at random over the whole table (TABLESAMPLE)."""
    from sqlalchemy import create_engine, text

    from lrs.payloads import unpack_payload

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'lrs_statement_ids'")).scalar()
        percent = min(100.0, size * 300 / max(float(count or 0), 1.0))
        rows = connection.execute(
            text(f"SELECT payload FROM lrs_statements TABLESAMPLE SYSTEM ({percent}) LIMIT {size}")
        ).scalars()
        sample = [unpack_payload(row) for row in rows]
    engine.dispose()
    return sample


def queries(rng: random.Random, sample: list[dict[str, Any]]) -> dict[str, str]:
    """One query of each kind about a stored statement; since/until is the day before it was stored."""
    s = rng.choice(sample)
    until = datetime.fromisoformat(s["stored"].replace("Z", "+00:00"))
    since = until - timedelta(days=1)
    return {
        "agent+verb": urllib.parse.urlencode({"agent": json.dumps(s["actor"]), "verb": s["verb"]["id"]}),
        "activity+related": urllib.parse.urlencode(
            {"activity": s["context"]["contextActivities"]["parent"][0]["id"], "related_activities": "true"}
        ),
        "registration": urllib.parse.urlencode({"registration": s["context"]["registration"]}),
        "since/until": urllib.parse.urlencode({"since": since.isoformat(), "until": until.isoformat()}),
        "limit 100": "limit=100",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per query kind")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--loaders", type=int, default=2)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--database", help="query this existing database of --postgres (bench/lrs_generate.py)")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.database:
            database_url = make_url(args.postgres).set(database=args.database).render_as_string(hide_password=False)
            auth = migrate_and_create_client(database_url)
            loaded = stored_count(database_url)
        else:
            database_url = stack.enter_context(fresh_postgres(args.postgres))
            auth = migrate_and_create_client(database_url)
            started = time.monotonic()
            share = args.statements // args.loaders
            with ProcessPoolExecutor(args.loaders) as pool:
                loaded = sum(pool.map(load, [database_url] * args.loaders, range(args.loaders), [share] * args.loaders))
            print(f"loaded {loaded:,} statements in {time.monotonic() - started:.0f} s")
            analyze(database_url)
        sample = stored_sample(database_url)
        port = free_port()
        timings: dict[str, list[float]] = {}
        counts: dict[str, list[int]] = {}
        lock = threading.Lock()
        with gunicorn(database_url, args.workers, port):

            def client(seed: int) -> None:
                rng = random.Random(1000 + seed)
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
                for _ in range(args.requests // args.clients):
                    for kind, query in queries(rng, sample).items():
                        begin = time.perf_counter()
                        connection.request("GET", f"/xapi/statements?{query}", headers=headers)
                        response = connection.getresponse()
                        body = response.read()
                        elapsed = time.perf_counter() - begin
                        if response.status != 200:
                            raise SystemExit(f"{kind}: {response.status} {body[:200]!r}")
                        with lock:
                            timings.setdefault(kind, []).append(elapsed)
                            counts.setdefault(kind, []).append(len(json.loads(body)["statements"]))
                connection.close()

            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    load_average = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(
        f"LRS queries: {loaded:,} statements, {args.clients} concurrent clients, {args.workers} gunicorn workers"
        f" ({load_average})"
    )
    for kind, values in timings.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"  {kind:18} p50 {statistics.median(values) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
            f"({len(values)} requests, {statistics.mean(counts[kind]):.0f} statements per page)"
        )


if __name__ == "__main__":
    main()
