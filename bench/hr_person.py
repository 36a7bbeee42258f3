"""Benchmark: the HR person page for a person with many enrolments and statements, on PostgreSQL under gunicorn.

Builds the demo government with N people (default 20,000), C published courses (default
200) aligned with the standard, one IT officer enrolled in every course (E enrolments,
default 200; half of them assigned with due dates, some overdue) with S statements of
their own (default 5,000: lessons, quizzes and completions of our courses and of a
provider's aligned courses, sent by that provider, so they carry evidence and fill the
transcript), and noise statements of other people. An HR officer of the person's
department signs in; concurrent clients fetch the person page. Prints p50 and p95.

    .venv/bin/python bench/hr_person.py [--people 20000] [--statements 5000] [--clients 4] [--workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import threading
import time
import uuid

import pyotp
from builders import add_courses, add_person_history, enrol_second_factor
from lrs_common import DEFAULT_POSTGRES, free_port, fresh_postgres, gunicorn
from portal import sign_in

BASE_URL = "https://academy.go.th"


def build(args: argparse.Namespace, database_url: str, secret_key: str) -> tuple[str, str, pyotp.TOTP]:
    """The data; return the HR officer's e-mail address, the person's public id and the officer's authenticator."""
    import flask_migrate

    from academy import create_app
    from academy.config import Settings
    from academy.db import db
    from academy.org.demo import build_demo
    from competencies.services.frameworks import seed_standard

    settings = Settings.from_environ(
        {
            "ACADEMY_ENV": "testing",
            "ACADEMY_DATABASE_URL": database_url,
            "ACADEMY_BASE_URL": BASE_URL,
            "ACADEMY_SECRET_KEY": secret_key,  # the server's: the officer's second factor is encrypted with it
        }
    )
    app = create_app(settings=settings)
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
    args = parser.parse_args()
    os.environ["ACADEMY_LOGIN_RATE_LIMIT"] = "10000 per minute"
    with fresh_postgres(args.postgres) as database_url:
        secret_key = "bench-" + uuid.uuid4().hex + uuid.uuid4().hex
        officer, public_id, totp = build(args, database_url, secret_key)
        port = free_port()
        with gunicorn(database_url, args.workers, port, secret_key=secret_key):
            cookie = sign_in(port, officer, totp)
            timings, size = measure_person_page(
                port, cookie, public_id, requests=args.requests, clients=args.clients, warm_up=args.workers * 3
            )
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"HR person page: {args.enrolments} enrolments, {args.statements:,} statements of the person, "
        f"{args.clients} concurrent clients, {args.workers} gunicorn workers, page {size / 1024:.0f} KiB"
    )
    print(f"  p50 {statistics.median(timings) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   ({len(timings)} requests)")


if __name__ == "__main__":
    main()
