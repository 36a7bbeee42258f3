"""Benchmark: what the kinds' audiences (Kind.audience) cost the notification run and the preferences page.

On a fresh PostgreSQL database, the data of bench/reminders.py: a small demo government, then N
people (default 100,000) with an account each and an assigned course due in 7 days. Then, each
in a transaction rolled back afterwards (nothing is mailed):

1. ``produce(now)`` as registered (each due item's recipient checked against the kind's
   audience, one query per chunk of 5,000), and with every audience taken away, alternately,
   three times each: seconds per run and the rows produced (they must be equal: everyone here
   is a civil servant).
2. ``receivable_kinds(user_id)`` (the preferences page's one query) for 200 users: ms per call.

Prints the figures and os.getloadavg().

    .venv/bin/python bench/notification_audience.py [--people 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

from lrs_common import fresh_postgres
from reminders import _app, build

#: The benchmark cluster (tuned, no replica): never the test server on 5432.
BENCH_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5434/postgres"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--postgres", default=BENCH_POSTGRES)
    args = parser.parse_args()

    with fresh_postgres(args.postgres) as database_url:
        build(database_url, 0, args.people)
        from sqlalchemy import select

        from academy.auth.models import User
        from academy.dates import utcnow
        from academy.db import db
        from academy.notifications import registry
        from academy.notifications.services import produce, receivable_kinds

        app = _app(database_url, 0)
        with app.app_context():
            registered = dict(registry._kinds)
            unrestricted = {name: dataclasses.replace(kind, audience=None) for name, kind in registered.items()}
            timings: dict[str, list[float]] = {"with audiences": [], "without": []}
            produced: dict[str, set[int]] = {"with audiences": set(), "without": set()}
            for _round in range(3):
                for label, kinds in (("with audiences", registered), ("without", unrestricted)):
                    registry._kinds.clear()
                    registry._kinds.update(kinds)
                    begin = time.perf_counter()
                    counts = produce(utcnow())
                    timings[label].append(time.perf_counter() - begin)
                    produced[label].add(sum(counts.values()))
                    db.session.rollback()
            registry._kinds.clear()
            registry._kinds.update(registered)
            users = list(db.session.scalars(select(User.id).order_by(User.id).limit(200)))
            calls = []
            for user_id in users:
                begin = time.perf_counter()
                receivable_kinds(user_id)
                calls.append((time.perf_counter() - begin) * 1000)
            db.session.rollback()

    print(f"Notification audiences: {args.people:,} people with an account and a course due in 7 days, PostgreSQL")
    for label, seconds in timings.items():
        print(
            f"  produce() {label}: {', '.join(f'{s:.2f}' for s in seconds)} s "
            f"(median {statistics.median(seconds):.2f} s); rows produced {sorted(produced[label])}"
        )
    print(
        f"  receivable_kinds() for {len(calls)} users: median {statistics.median(calls):.2f} ms, "
        f"max {max(calls):.2f} ms"
    )
    print(f"  load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
