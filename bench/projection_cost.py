"""Benchmark: what the projections cost the LRS's HTTP write path.

The world of bench/projection_load.py (the demo's people registered, courses aligned, half the
learners enrolled) is built once into a template database. Then each round copies it and runs
gunicorn (gthread) on the copy while clients POST the same realistic batches of 50 for
``--seconds`` (about half completions of aligned courses and activities by registered people,
some voids): once with every projection on (enrolment progress, cmi5, evidence and attainment,
credentials), once with none (bench/wsgi_projections_off.py). Rounds alternate on, off, on,
off ... (``--rounds`` pairs), each printed with the load average, since the machine is shared.
Each round also prints how busy the machine's CPUs were (/proc/stat) and how many of the database's
sessions were waiting, on average, for a lock (pg_stat_activity, every 0.5 s): the projections'
per-person lock (academy/projections.py) shows there when batches share people.
Credentials are issued as production issues them (``--issue-in job``: the request queues people, a
worker signs): after each "on" round the bench does the worker's part itself and prints what it
took. The last "on" copy's live projections are then compared with a rebuild (they must agree).

    .venv/bin/python bench/projection_cost.py [--seconds 30] [--rounds 2] [--clients 8]
        [--workers 4] [--threads 4] [--people 3000] [--learners 1000] [--issue-in job|request] [--postgres URL]

``--in-process`` instead stores batches through store_statements() in this process, on and off.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lrs_common import free_port, fresh_postgres, gunicorn, make_statement, migrate_and_create_client
from projection_load import BATCH, World, build, client_loop, compare
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: The benchmark cluster (tuned, no replica): bench data never goes to the tests' server.
BENCH_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5434/postgres"


def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


@contextmanager
def copy_of(template_url: str) -> Iterator[str]:
    """A new database copied from the template database (CREATE DATABASE ... TEMPLATE), dropped afterwards."""
    template = make_url(template_url)
    name = f"{template.database}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(template.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
    try:
        yield template.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def warm_up(port: int, clients: int, seconds: float = 3.0) -> None:
    """GET /xapi/about from every client for a few seconds, so that every worker has started."""
    import http.client

    answered: list[int] = []

    def loop() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        stop_at = time.monotonic() + seconds
        while time.monotonic() < stop_at:
            try:
                connection.request("GET", "/xapi/about")
                if connection.getresponse().read():
                    answered.append(1)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                time.sleep(0.2)
        connection.close()

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not answered:
        raise RuntimeError("the server answered nothing while warming up (its log above)")


class Watch:
    """Samples, every ``every`` seconds while running, the machine's CPU use and the sessions waiting for a lock."""

    def __init__(self, database_url: str, every: float = 0.5) -> None:
        self.database_url, self.every = database_url, every
        self.waiting: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._cpu = (0, 0)

    @staticmethod
    def _cpu_times() -> tuple[int, int]:
        """(busy, total) jiffies of every CPU since boot: idle and iowait count as not busy."""
        with open("/proc/stat") as stat:
            values = [int(value) for value in stat.readline().split()[1:]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    def _run(self) -> None:
        engine = create_engine(self.database_url)
        query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
        try:
            with engine.connect() as connection:
                while not self._stop.wait(self.every):
                    self.waiting.append(connection.execute(query).scalar_one())
                    connection.rollback()  # a new snapshot of the activity at each sample
        finally:
            engine.dispose()

    def __enter__(self) -> Watch:
        self._cpu = self._cpu_times()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        busy, total = self._cpu_times()
        self.busy = (busy - self._cpu[0]) / max(1, total - self._cpu[1])

    def summary(self) -> str:
        waiting = sum(self.waiting) / len(self.waiting) if self.waiting else 0.0
        return f"CPU busy {100 * self.busy:.0f}%, sessions waiting for a lock {waiting:.1f} on average"


def http_round(
    database_url: str, app: str, args: argparse.Namespace, world: World, auth: str
) -> tuple[float, int, dict[str, Any]]:
    """One timed run of the clients against gunicorn serving ``app``; statements/s, failed batches, results."""
    results: dict[str, Any] = {"lock": threading.Lock(), "status": Counter(), "stored": 0, "samples": []}
    port = free_port()
    with gunicorn(database_url, args.workers, port, threads=args.threads, app=app):
        warm_up(port, args.clients)
        started = time.monotonic()
        stop_at = started + args.seconds
        threads = [
            threading.Thread(target=client_loop, args=(port, auth, world, seed, stop_at, results))
            for seed in range(args.clients)
        ]
        with Watch(database_url) as watch:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        elapsed = time.monotonic() - started
        results["watch"] = watch.summary()
    errors = sum(results["status"].values()) - results["status"]["200"]
    return results["stored"] / elapsed, errors, results


def drain_credential_queue(database_url: str) -> tuple[int, int, float]:
    """Do what the credentials worker does after a round (ACADEMY_CREDENTIALS_ISSUE_IN=job): empty the queue.

    Returns the people reconciled, the badges issued and the seconds it took.
    """
    from academy import create_app
    from academy.config import Settings
    from academy.db import db
    from credentials.services.issuing import issue_queued

    app = create_app(settings=Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url}))
    people = issued = 0
    started = time.monotonic()
    with app.app_context():
        while True:
            some, new, _revoked = issue_queued()
            db.session.commit()
            people, issued = people + some, issued + new
            if not some:
                break
        db.engine.dispose()
    return people, issued, time.monotonic() - started


def over_http(args: argparse.Namespace) -> None:
    # The servers' setting (gunicorn's environment is this process's); production's default is "job".
    os.environ["ACADEMY_CREDENTIALS_ISSUE_IN"] = args.issue_in
    with fresh_postgres(args.postgres) as template:
        started = time.monotonic()
        world = build(template, args.people, args.learners)
        auth = migrate_and_create_client(template, platform=True)
        print(
            f"built {args.people:,} people, {len(world.courses)} courses, {len(world.registrations):,} enrolments "
            f"in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        print(
            f"projection cost over HTTP: {args.clients} clients x batches of {BATCH}, gunicorn {args.workers} "
            f"workers x {args.threads} threads, PostgreSQL, {args.seconds:.0f} s a round, "
            f"credentials issued in the {args.issue_in}"
        )
        rates: dict[str, list[float]] = {"on": [], "off": []}
        rounds = [("on", "wsgi:app"), ("off", "bench.wsgi_projections_off:app")] * args.rounds
        for number, (label, app) in enumerate(rounds, start=1):
            with copy_of(template) as database_url:
                before = load()
                rate, errors, results = http_round(database_url, app, args, world, auth)
                rates[label].append(rate)
                print(
                    f"  round {number}: projections {label:3}  {rate:6,.0f} statements/s  errors {errors}  "
                    f"({before} before, {load()} after)\n    {results['watch']}",
                    flush=True,
                )
                for sample in results["samples"]:
                    print(f"    {sample}")
                if args.issue_in == "job" and label == "on":
                    people, issued, seconds = drain_credential_queue(database_url)
                    print(
                        f"    the worker's share afterwards: {people:,} queued people reconciled, {issued:,} badges "
                        f"issued in {seconds:.1f} s, one process ({load()})",
                        flush=True,
                    )
                if number == len(rounds) - 1 and not args.no_compare:
                    print("  the last 'on' round's live projections against a rebuild (rows; only live; only rebuilt):")
                    differences = compare(database_url)
                    for name, (rows, only_live, only_rebuilt) in differences.items():
                        print(f"    {name:20} {rows:8,} rows  {only_live:5} only live  {only_rebuilt:5} only rebuilt")
                    total = sum(live + rebuilt for _rows, live, rebuilt in differences.values())
                    print(f"    differences {total}")
        for on, off in zip(rates["on"], rates["off"], strict=True):
            print(f"  on / off: {on:,.0f} / {off:,.0f} = {100 * on / off:.0f}%")
        print(f"  overall: {100 * sum(rates['on']) / sum(rates['off']):.0f}%  ({load()})")


def in_process(args: argparse.Namespace) -> None:
    """Batches of 50 stored in this process, every statement about a registered person and an aligned lesson."""
    import flask_migrate
    from sqlalchemy import select

    from academy import create_app
    from academy.config import Settings
    from academy.db import bulk_insert, db
    from academy.ifi import ifi_key
    from academy.org.demo import build_demo
    from academy.org.models import IdentifierKind, Person, PersonIdentifier
    from competencies.models import Alignment, Evidence
    from competencies.services.frameworks import seed_standard
    from lrs.statements import store_statements
    from lrs.versions import XapiVersion

    with fresh_postgres(args.postgres) as database_url:
        settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
        app = create_app(settings=settings)
        with app.app_context():
            flask_migrate.upgrade()
            build_demo(people=args.people, base_url="https://academy.example.go.th", password=None)
            framework = seed_standard()
            leaves = [c.id for c in framework.competencies if c.parent_id is not None]
            # The statements' learners are learner-N accounts of https://academy.example.go.th; its courses 0..199.
            people = db.session.scalars(select(Person.id).order_by(Person.id).limit(args.people)).all()
            bulk_insert(
                PersonIdentifier,
                [
                    {
                        "person_id": pid,
                        "kind": IdentifierKind.ACCOUNT,
                        "key": ifi_key("account", f"learner-{n}", "https://academy.example.go.th"),
                    }
                    for n, pid in enumerate(people)
                ],
            )
            bulk_insert(
                Alignment,
                [
                    {
                        "activity_id": f"https://academy.example.go.th/courses/{course}/lesson/{lesson}",
                        "competency_id": leaves[course % len(leaves)],
                        "level": 1 + course % 3,
                    }
                    for course in range(200)
                    for lesson in range(12)
                ],
            )
            db.session.commit()
            authority = {"objectType": "Agent", "account": {"homePage": "https://academy.example.go.th", "name": "b"}}
            rng = random.Random(3)
            results = {}
            for label, projections in (("with the projections", None), ("without them", [])):
                saved = app.extensions.get("lrs.projections", [])
                if projections is not None:
                    app.extensions["lrs.projections"] = projections
                batches = [
                    json.loads(json.dumps([make_statement(rng, people=args.people) for _ in range(50)]))
                    for _ in range(args.batches)
                ]
                started = time.perf_counter()
                for batch in batches:
                    store_statements(batch, version=XapiVersion.V1, authority=authority)
                    db.session.commit()
                results[label] = (args.batches * 50 / (time.perf_counter() - started), load())
                app.extensions["lrs.projections"] = saved
            evidence = db.session.query(Evidence).count()
            db.engine.dispose()
    print(f"projection cost in-process: {args.batches} batches of 50 statements each way, one process, PostgreSQL")
    for label, (rate, when) in results.items():
        print(f"  {label:22} {rate:7.0f} statements/s  ({when})")
    print(f"  evidence rows recorded: {evidence:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=2, help="pairs of rounds, on then off")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=1000, help="registered people the statements are about")
    parser.add_argument(
        "--issue-in",
        choices=["job", "request"],
        default="job",
        help="where the 'on' servers issue credentials (ACADEMY_CREDENTIALS_ISSUE_IN; production's default: job)",
    )
    parser.add_argument("--no-compare", action="store_true", help="skip the rebuild-and-compare of the last round")
    parser.add_argument("--postgres", default=BENCH_POSTGRES)
    parser.add_argument("--in-process", action="store_true", help="store in this process instead (no HTTP)")
    parser.add_argument("--batches", type=int, default=100, help="--in-process: batches of 50 each way")
    args = parser.parse_args()
    if args.in_process:
        in_process(args)
    else:
        over_http(args)


if __name__ == "__main__":
    main()
