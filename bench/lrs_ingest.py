"""Benchmark: POST batches of 50 varied statements from concurrent clients to the LRS under
gunicorn on PostgreSQL; print statements/s, the errors clients saw and the workers' peak RSS.

    .venv/bin/python bench/lrs_ingest.py [--seconds 60] [--clients 8] [--workers 4] [--threads 8]
        [--new-activities] [--postgres URL] [--database NAME [--rounds 2]]

--database compares ingest into an existing database (10,000,000 statements of
bench/lrs_generate.py: --postgres postgresql+psycopg://postgres@127.0.0.1:5434/postgres
--database academy_lrs10m) with ingest into an empty one, in turns (empty, then the large one,
``--rounds`` times), and prints the large one's rate as a fraction of the empty one's. The
statements it adds stay in the large database.

--new-activities is the deadlock case: on an empty database, in every round all clients send
at once a batch that brings the same new activities, each client in its own shuffled order.
Every request must be answered 200: the run prints the errors (which must be 0) and the
deadlocks PostgreSQL detected (each one retried inside its request).
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil
from lrs_common import (
    DEFAULT_POSTGRES,
    THREADS,
    free_port,
    fresh_postgres,
    gunicorn,
    make_statement,
    migrate_and_create_client,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BATCH = 50
#: New activities per round in --new-activities: fewer than a batch's statements, so each recurs.
NEW_PER_ROUND = 30
HEADERS = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    stored: int = 0
    requests: int = 0
    errors: collections.Counter[int] = field(default_factory=collections.Counter)
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, payload: bytes) -> None:
        with self.lock:
            self.requests += 1
            if status == 200:
                self.stored += BATCH
            else:
                self.errors[status] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{status}: {payload[:200]!r}")


def post(connection: http.client.HTTPConnection, auth: str, batch: list[dict[str, Any]], tally: Tally) -> None:
    connection.request("POST", "/xapi/statements", body=json.dumps(batch), headers={"Authorization": auth, **HEADERS})
    response = connection.getresponse()
    tally.record(response.status, response.read())


def varied_loop(port: int, auth: str, seed: int, stop_at: float, tally: Tally) -> None:
    """Batches of varied statements about a fixed catalogue, sent as fast as answered."""
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < stop_at:
        post(connection, auth, [make_statement(rng) for _ in range(BATCH)], tally)
        if tally.errors:
            break
    connection.close()


def new_activity_statement(rng: random.Random, activity: str, parent: str, language: str) -> dict[str, Any]:
    statement = make_statement(rng)
    statement["object"] = {
        "objectType": "Activity",
        "id": activity,
        # Each client names the activity in its own language: the definitions merge.
        "definition": {"name": {language: activity.rsplit("/", 1)[-1]}},
    }
    statement["context"]["contextActivities"]["parent"] = [{"id": parent}]
    return statement


def new_activities_loop(
    port: int, auth: str, client: int, start: threading.Barrier, stop: threading.Event, tally: Tally
) -> None:
    """Round after round, wait for every client, then send a batch bringing that round's new activities."""
    rng = random.Random(client)
    language = f"x-client-{client}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    round_ = 0
    while True:
        start.wait()
        if stop.is_set():
            break
        base = f"https://academy.example.go.th/bench/round-{round_}"
        activities = [f"{base}/activity-{k}" for k in range(NEW_PER_ROUND)]
        parents = [f"{base}/module-{k}" for k in range(NEW_PER_ROUND // 3)]
        rng.shuffle(activities)
        rng.shuffle(parents)
        batch = [
            new_activity_statement(rng, activities[i % len(activities)], parents[i % len(parents)], language)
            for i in range(BATCH)
        ]
        post(connection, auth, batch, tally)
        round_ += 1
    connection.close()


def deadlocks_detected(database_url: str, *, wait: bool = True) -> int:
    """PostgreSQL's count of deadlocks in the database (each one retried by the request that lost it)."""
    engine = create_engine(database_url)
    try:
        if wait:
            time.sleep(1.5)  # the statistics of the last transactions reach the view within a second
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def warm_up(port: int, workers: int) -> None:
    """Wait until the workers answer (each imports the app first): their start is not ingest time."""

    def about() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("GET", "/xapi/about", headers=HEADERS)
        connection.getresponse().read()
        connection.close()

    threads = [threading.Thread(target=about) for _ in range(workers * 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@dataclass
class Run:
    """One run's figures."""

    tally: Tally
    elapsed: float
    deadlocks: int
    peak: dict[int, int]
    rss_samples: list[int]
    load: tuple[float, float, float]

    @property
    def rate(self) -> float:
        return self.tally.stored / self.elapsed


def run(database_url: str, auth: str, args: argparse.Namespace, seed: int = 0) -> Run:
    """Ingest for ``args.seconds`` into the database through a gunicorn of its own."""
    tally = Tally()
    deadlocks_before = deadlocks_detected(database_url, wait=False)
    port = free_port()
    with gunicorn(database_url, args.workers, port, args.threads) as server:
        master = psutil.Process(server.pid)
        peak: dict[int, int] = {}
        warm_up(port, args.workers)
        started = time.monotonic()
        stop_at = started + args.seconds
        if args.new_activities:
            stop = threading.Event()

            def decide() -> None:  # run by the last client to reach the barrier, once per round
                if time.monotonic() >= stop_at:
                    stop.set()

            start = threading.Barrier(args.clients, action=decide)
            threads = [
                threading.Thread(target=new_activities_loop, args=(port, auth, n, start, stop, tally))
                for n in range(args.clients)
            ]
        else:
            threads = [
                threading.Thread(target=varied_loop, args=(port, auth, seed * 1000 + n, stop_at, tally))
                for n in range(args.clients)
            ]
        for thread in threads:
            thread.start()
        rss_samples: list[int] = []
        while any(t.is_alive() for t in threads):
            total = 0
            for worker in master.children():
                try:
                    rss = worker.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                peak[worker.pid] = max(peak.get(worker.pid, 0), rss)
                total += rss
            rss_samples.append(total)
            time.sleep(1)
        elapsed = time.monotonic() - started
        load = os.getloadavg()
    deadlocks = deadlocks_detected(database_url) - deadlocks_before
    return Run(tally, elapsed, deadlocks, peak, rss_samples, load)


def report(result: Run, args: argparse.Namespace, where: str) -> None:
    tally, elapsed, peak, rss_samples = result.tally, result.elapsed, result.peak, result.rss_samples
    server_kind = f"gthread x {args.threads}" if args.threads > 1 else "sync"
    case = "batches sharing new activities in shuffled orders, empty database" if args.new_activities else "varied"
    print(f"LRS ingest ({case}): {args.clients} clients x batches of {BATCH}, {args.workers} gunicorn workers")
    print(f"  ({server_kind}), PostgreSQL, {where}")
    print(
        f"  statements stored   {tally.stored:,} in {elapsed:.1f} s = {result.rate:,.0f} statements/s"
        " (load average {:.2f} {:.2f} {:.2f})".format(*result.load)
    )
    errors = sum(tally.errors.values())
    by_status = ", ".join(f"{count} x {status}" for status, count in sorted(tally.errors.items()))
    print(f"  requests            {tally.requests:,}; errors {errors}{f' ({by_status})' if errors else ''}")
    print(f"  deadlocks detected  {result.deadlocks} (by PostgreSQL; each retried inside its request)")
    if peak:
        third = max(len(rss_samples) // 3, 1)
        print(
            f"  worker peak RSS     {max(peak.values()) / 2**20:.0f} MB (largest worker); all workers: "
            f"{sum(rss_samples[:third]) / third / 2**20:.0f} MB in the first third, "
            f"{sum(rss_samples[-third:]) / third / 2**20:.0f} MB in the last"
        )
    for sample in tally.samples:
        print(f"  error: {sample}")


def stored_count(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = int(connection.execute(text("SELECT count(*) FROM lrs_statement_ids")).scalar_one())
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=THREADS, help="threads of each gthread worker")
    parser.add_argument("--new-activities", action="store_true", help="the deadlock case, on an empty database")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--database", help="compare ingest into this existing database of --postgres with an empty one, in turns"
    )
    parser.add_argument("--rounds", type=int, default=2, help="turns of empty, then --database")
    parser.add_argument("--seed", type=int, default=0, help="of the statements (ids differ from seed to seed)")
    args = parser.parse_args()
    if not args.database:
        with fresh_postgres(args.postgres) as database_url:
            auth = migrate_and_create_client(database_url)
            report(run(database_url, auth, args, args.seed), args, "empty database")
        return
    large = make_url(args.postgres).set(database=args.database).render_as_string(hide_password=False)
    large_auth = migrate_and_create_client(large)
    empty_rates: list[float] = []
    large_rates: list[float] = []
    with fresh_postgres(args.postgres) as empty:
        empty_auth = migrate_and_create_client(empty)
        for number in range(args.rounds):
            stored = stored_count(large)
            result = run(empty, empty_auth, args, args.seed * 100 + 2 * number)
            report(result, args, f"round {number + 1}: an empty database ({stored_count(empty):,} statements after)")
            empty_rates.append(result.rate)
            result = run(large, large_auth, args, args.seed * 100 + 2 * number + 1)
            report(result, args, f"round {number + 1}: {args.database} ({stored:,} statements before)")
            large_rates.append(result.rate)
    empty_rate, large_rate = sum(empty_rates) / len(empty_rates), sum(large_rates) / len(large_rates)
    print(
        f"Ingest into {args.database}: {large_rate:,.0f} statements/s = {large_rate / empty_rate:.0%} of"
        f" {empty_rate:,.0f} into an empty database (means of {args.rounds} rounds;"
        " load average {:.2f} {:.2f} {:.2f})".format(*os.getloadavg())
    )


if __name__ == "__main__":
    main()
