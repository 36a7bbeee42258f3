"""Benchmark: the HR person page for a person with many enrolments and statements, on PostgreSQL under gunicorn.

Builds the demo government with N people (default 20,000), C published courses (default
200) aligned with the standard, one IT officer enrolled in every course (E enrolments,
default 200; half of them assigned with due dates, some overdue) with S statements of
their own (default 5,000: lessons, quizzes and completions of our courses and of a
provider's aligned courses, sent by that provider, so they carry evidence and fill the
transcript), and noise statements of other people. An HR officer of the person's
department signs in; concurrent clients fetch the person page. Prints p50 and p95, the
page's size, then in-process (one request at a time, the same app) the CPU time and the SQL
queries of one request; --profile FILE writes a cProfile of those requests.

    .venv/bin/python bench/hr_person.py [--people 20000] [--statements 5000] [--clients 4] [--workers 4]
        [--database NAME] [--profile FILE]

``--database NAME`` builds into (or, when it already has the data, reuses) that database of
--postgres and keeps it: runs of two versions of the code alternate on the same data.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pyotp
from builders import PASSWORD, add_courses, add_person_history, enrol_second_factor
from lrs_common import DEFAULT_POSTGRES, free_port, fresh_postgres, gunicorn
from portal import _csrf_token, sign_in

BASE_URL = "https://academy.go.th"


def make_app(database_url: str, secret_key: str):  # type: ignore[no-untyped-def]
    from academy import create_app
    from academy.config import Settings

    settings = Settings.from_environ(
        {
            "ACADEMY_ENV": "testing",
            "ACADEMY_DATABASE_URL": database_url,
            "ACADEMY_BASE_URL": BASE_URL,
            "ACADEMY_SECRET_KEY": secret_key,  # the server's: the officer's second factor is encrypted with it
        }
    )
    return create_app(settings=settings)


@contextmanager
def bench_database(args: argparse.Namespace) -> Iterator[str]:
    """A fresh database dropped afterwards, or the kept ``--database`` (created when missing)."""
    if not args.database:
        with fresh_postgres(args.postgres) as url:
            yield url
        return
    from sqlalchemy import create_engine, make_url, text

    server = make_url(args.postgres)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": args.database}):
            connection.execute(text(f'CREATE DATABASE "{args.database}"'))
    admin.dispose()
    yield server.set(database=args.database).render_as_string(hide_password=False)


def reuse(database_url: str, secret_key: str) -> tuple[str, str, pyotp.TOTP] | None:
    """The officer, the person and a new authenticator of a database an earlier run built; None if there is none."""
    import flask_migrate
    from sqlalchemy import select

    from academy.auth.models import User
    from academy.db import db
    from academy.org.models import Person, PersonnelGroup

    app = make_app(database_url, secret_key)
    with app.app_context():
        flask_migrate.upgrade()
        officer = db.session.scalar(select(User.email).where(User.email.like("hr.bench@%")))
        if officer is None:
            return None
        person = db.session.scalars(
            select(Person).where(Person.personnel_group == PersonnelGroup.IT).order_by(Person.id).limit(1)
        ).one()
        public_id = str(person.public_id)
        totp = enrol_second_factor(officer)
        db.engine.dispose()
    print("the database already has the data: reused", flush=True)
    return officer, public_id, totp


def build(args: argparse.Namespace, database_url: str, secret_key: str) -> tuple[str, str, pyotp.TOTP]:
    """The data; return the HR officer's e-mail address, the person's public id and the officer's authenticator."""
    import flask_migrate

    from academy.db import db
    from academy.org.demo import build_demo
    from competencies.services.frameworks import seed_standard

    app = make_app(database_url, secret_key)
    rng = random.Random(2569)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.monotonic()
        build_demo(people=args.people, base_url=BASE_URL, password=None)
        seed_standard()
        db.session.commit()
        print(f"built {args.people:,} people in {time.monotonic() - started:.0f} s", flush=True)
        started = time.monotonic()
        add_courses(rng, args.courses, BASE_URL)
        officer, public_id = add_person_history(
            rng, base_url=BASE_URL, enrolments=args.enrolments, statements=args.statements, noise=args.noise
        )
        print(
            f"built {args.courses} courses, {args.enrolments} enrolments and {args.statements + args.noise:,} "
            f"statements ({args.statements:,} of the person) in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        totp = enrol_second_factor(officer)
        db.engine.dispose()
    return officer, public_id, totp


def measure_person_page(
    port: int, cookie: str, public_id: str, *, requests: int, clients: int, warm_up: int
) -> tuple[list[float], int]:
    """Concurrent clients fetch the person's HR record page; the timings (s) and the page's size."""
    timings: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    path = f"/people/{public_id}/record"

    def client(count: int) -> None:
        for _ in range(count):
            begin = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            body = response.read()
            connection.close()
            elapsed = time.perf_counter() - begin
            if response.status != 200:
                raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
            with lock:
                timings.append(elapsed)
                sizes.append(len(body))

    client(warm_up)  # every worker loads its templates first
    timings.clear()
    threads = [threading.Thread(target=client, args=(requests // clients,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, sizes[-1]


def measure_in_process(
    database_url: str,
    secret_key: str,
    officer: str,
    totp: pyotp.TOTP,
    public_id: str,
    *,
    requests: int,
    profile: str | None,
) -> tuple[float, float, int]:
    """One request at a time in this process: median CPU time (s) and median wall time (s) of one, its SQL queries."""
    from sqlalchemy import event

    from academy.db import db

    app = make_app(database_url, secret_key)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": officer, "password": PASSWORD, "csrf_token": _csrf_token(page)})
    for _attempt in range(3):  # a code is taken once: the server's sign-in spent this time step's
        page = client.get("/account/second-factor").get_data(as_text=True)
        time.sleep(30 - time.time() % 30 + 0.5)
        response = client.post("/account/second-factor", data={"code": totp.now(), "csrf_token": _csrf_token(page)})
        if response.status_code == 302 and "second-factor" not in response.headers.get("Location", ""):
            break
    path = f"/people/{public_id}/record"
    queries = 0

    def count(*_args: object) -> None:
        nonlocal queries
        queries += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    for _ in range(3):  # templates, translations, the first connection
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"in-process {path}: {response.status_code} {response.get_data()[:300]!r}")
    cpu, wall, counts = [], [], []
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU time: the load does not blur it
    for _ in range(requests):
        queries = 0
        began, cpu_began = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        client.get(path)
        if profiler is not None:
            profiler.disable()
        cpu.append(time.process_time() - cpu_began)
        wall.append(time.perf_counter() - began)
        counts.append(queries)
    if profiler is not None and profile:
        profiler.dump_stats(profile)
    with app.app_context():
        db.engine.dispose()
    return statistics.median(cpu), statistics.median(wall), max(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--enrolments", type=int, default=200)
    parser.add_argument("--statements", type=int, default=5_000)
    parser.add_argument("--noise", type=int, default=20_000, help="statements of other people")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--database", help="build into (or reuse) and keep this database of --postgres")
    parser.add_argument("--in-process", type=int, default=30, help="requests measured one at a time in-process")
    parser.add_argument("--profile", help="write a cProfile of the in-process requests to this file")
    args = parser.parse_args()
    os.environ["ACADEMY_LOGIN_RATE_LIMIT"] = "10000 per minute"
    with bench_database(args) as database_url:
        secret_key = "bench-" + uuid.uuid4().hex + uuid.uuid4().hex
        kept = reuse(database_url, secret_key) if args.database else None
        officer, public_id, totp = kept or build(args, database_url, secret_key)
        port = free_port()
        with gunicorn(database_url, args.workers, port, secret_key=secret_key):
            cookie = sign_in(port, officer, totp)
            load_before = os.getloadavg()
            timings, size = measure_person_page(
                port, cookie, public_id, requests=args.requests, clients=args.clients, warm_up=args.workers * 3
            )
            load_after = os.getloadavg()
        cpu, wall, queries = measure_in_process(
            database_url, secret_key, officer, totp, public_id, requests=args.in_process, profile=args.profile
        )
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"HR person page: {args.enrolments} enrolments, {args.statements:,} statements of the person, "
        f"{args.clients} concurrent clients, {args.workers} gunicorn workers, page {size / 1024:.0f} KiB"
    )
    print(
        f"  p50 {statistics.median(timings) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   ({len(timings)} requests)"
        f"   [load {load_before[0]:.2f} -> {load_after[0]:.2f}]"
    )
    print(
        f"  in-process, one at a time: CPU {cpu * 1000:.1f} ms, wall {wall * 1000:.1f} ms a request (median of "
        f"{args.in_process}), {queries} SQL queries   [load {os.getloadavg()[0]:.2f}]"
    )


if __name__ == "__main__":
    main()
