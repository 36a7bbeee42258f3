"""Benchmark: the OpenID Connect callback's server time, with N people in the database.

Builds N people (default 1,000,000) with citizen-ID hashes, bulk-inserted, on a fresh
PostgreSQL database (or SQLite with --sqlite), then signs in S random people (default 400)
through the real callback: Authlib exchanges the code at a provider on loopback and checks
the id_token (tests/support/oidc.ForgingProvider, honest mode: RS256, JWKS). Half the
sign-ins are first ones (an account is made just in time), half are returning people.

The server time is the callback request's time (in process, Flask's test client) minus the
time spent waiting for the provider (every HTTP request the callback makes is timed and
subtracted): what the platform itself spends. Prints p50, p95 and max.

    .venv/bin/python bench/oidc_callback.py [--people 1000000] [--sign-ins 400] [--sqlite] [--postgres URL]
        [--keep] [--database URL] [--statements] [--profile FILE]

--keep leaves the PostgreSQL database in place (its URL is printed); --database URL runs the
sign-ins against such a database again, without inserting (its people are counted). --statements
prints every SQL statement of one first and one returning sign-in, and each run prints the
statements and commits per callback. --profile FILE writes a cProfile of the timed callbacks.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from lrs_common import DEFAULT_POSTGRES, fresh_postgres  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

CHUNK = 20_000
BASE_URL = "https://academy.bench"


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.database:
        yield args.database
        return
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    if args.keep:
        server = make_url(args.postgres)
        name = f"academy_bench_oidc_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.set(database=name).render_as_string(hide_password=False)
        print(f"kept database: {url}", flush=True)
        yield url
        return
    with fresh_postgres(args.postgres) as url:
        yield url


class StatementLog:
    """The SQL statements and commits of the engine while it is open (``log`` keeps their text)."""

    def __init__(self, engine: Any, *, log: bool = False) -> None:
        self.engine = engine
        self.keep = log
        self.statements: list[str] = []
        self.commits = 0

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def _commit(self, _conn: Any) -> None:
        self.commits += 1

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        if self.keep:
            for number, statement in enumerate(self.statements, 1):
                print(f"    [{number}] {' '.join(statement.split())[:400]}")
            print(f"    {len(self.statements)} statements, {self.commits} commits")


class ProviderClock:
    """Time spent in HTTP requests to the provider (every requests.Session.send in this process)."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._send = requests.Session.send

    def __enter__(self) -> ProviderClock:
        clock = self
        original = self._send

        def timed_send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(session, request, **kwargs)
            finally:
                clock.spent += time.perf_counter() - started

        requests.Session.send = timed_send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        requests.Session.send = self._send  # type: ignore[method-assign]


def insert_people(count: int) -> None:
    from sqlalchemy import select, text

    from academy.db import bulk_insert, db
    from academy.org.identity import citizen_id_hash, identity_key, make_citizen_id
    from academy.org.models import (
        AgencyKind,
        Person,
        PersonnelGroup,
        PersonStatus,
        PositionLevel,
        PositionLine,
        RoleLevel,
    )
    from academy.org.services import create_agency

    ministry = create_agency(code="90", name_th="กระทรวงทดสอบ", name_en="Bench Ministry", kind=AgencyKind.MINISTRY)
    department = create_agency(
        code="90001", name_th="กรมทดสอบ", name_en="Bench Department", kind=AgencyKind.DEPARTMENT, parent=ministry
    )
    line_id = db.session.scalar(select(PositionLine.id).where(PositionLine.code == "K-GEN"))
    level_id = db.session.scalar(select(PositionLevel.id).where(PositionLevel.code == "K2"))
    key = identity_key()
    now = datetime.now(UTC)
    started = time.perf_counter()
    for start in range(0, count, CHUNK):
        rows = [
            {
                "public_id": uuid.uuid4(),
                "agency_id": department.id,
                "employee_no": f"{number:08d}",
                "title_th": "",
                "first_name_th": f"ชื่อ{number}",
                "last_name_th": f"สกุล{number}",
                "title_en": "",
                "first_name_en": "",
                "last_name_en": "",
                "email": None,
                "is_cio": False,
                "status": PersonStatus.ACTIVE,
                "start_date": None,
                "personnel_group_override": None,
                "role_level_override": None,
                "position_line_id": line_id,
                "position_level_id": level_id,
                "personnel_group": PersonnelGroup.NON_IT,
                "role_level": RoleLevel.OPERATIONAL,
                "citizen_id_hash": citizen_id_hash(make_citizen_id(number), key),
                "created_at": now,
                "updated_at": now,
            }
            for number in range(start, min(start + CHUNK, count))
        ]
        bulk_insert(Person, rows)
        db.session.commit()
        done = min(start + CHUNK, count)
        if done % 200_000 == 0 or done == count:
            print(f"  {done:,} people ({time.perf_counter() - started:.0f} s)", flush=True)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE people"))
        db.session.commit()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--sign-ins", type=int, default=400)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (for --database)")
    parser.add_argument("--database", help="a database a --keep run left: sign in there, insert nothing")
    parser.add_argument("--statements", action="store_true", help="print the SQL of a first and a returning sign-in")
    parser.add_argument("--seed", type=int, default=2569, help="which people sign in (another for a --database rerun)")
    parser.add_argument("--profile", help="write a cProfile of the timed callbacks to this file")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the provider's request log

    import flask_migrate

    from academy import create_app
    from academy.config import Settings
    from academy.db import db
    from academy.org.demo import ensure_position_lines
    from academy.org.identity import make_citizen_id
    from tests.support.oidc import Browser, ForgingProvider, provider_settings

    with database(args) as url:
        settings = Settings.from_environ(
            {"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": url, "ACADEMY_BASE_URL": BASE_URL}
        )
        app = create_app(settings=settings)
        with app.app_context():
            if args.database:
                args.people = db.session.scalar(text("SELECT count(*) FROM people"))
                print(f"{args.people:,} people in the database already ({db.engine.dialect.name})", flush=True)
            else:
                flask_migrate.upgrade()
                ensure_position_lines()
                db.session.commit()
                print(f"inserting {args.people:,} people with citizen-ID hashes ({db.engine.dialect.name})", flush=True)
                insert_people(args.people)
            db.session.remove()
            engine = db.engine

        rng = random.Random(args.seed)
        first = rng.sample(range(args.people), args.sign_ins // 2)
        numbers = first + first  # each signs in twice: the first time makes the account
        with ForgingProvider(BASE_URL, {}) as provider:
            app.config["ACADEMY_OIDC_PROVIDERS"] = (provider_settings(provider.issuer),)
            timings: dict[str, list[float]] = {"first": [], "returning": []}
            provider_times: list[float] = []
            #: The platform process's own CPU time (Python, Authlib, the RSA check; not PostgreSQL's),
            #: which the machine's load does not inflate as it does the wall time.
            cpu_times: list[float] = []
            seen: set[int] = set()
            shown: set[str] = set()
            warm = Browser(client=app.test_client(), base_url=BASE_URL)
            provider.subject_claims = {"sub": "warm-up", "pid": make_citizen_id(args.people + 7)}
            warm.follow_provider(warm.start("/login/oidc/thaid"))  # discovery and JWKS, fetched once
            fetched = provider.discovery_requests, provider.jwks_requests
            #: The calling thread's CPU time only: the provider answers from another thread of this process.
            thread_cpu_times: list[float] = []
            statements: list[int] = []
            commits: list[int] = []
            # The thread's CPU clock: waits (PostgreSQL, a CPU under load) are left out of the profile.
            profiler = cProfile.Profile(time.thread_time) if args.profile else None
            for number in numbers:
                provider.subject_claims = {"sub": f"subject-{number}", "pid": make_citizen_id(number)}
                browser = Browser(client=app.test_client(), base_url=BASE_URL)
                callback = _callback_url(browser, provider)
                kind = "returning" if number in seen else "first"
                show = args.statements and kind not in shown
                if show:
                    print(f"  the SQL of a {kind} sign-in:")
                    shown.add(kind)
                with StatementLog(engine, log=show) as log, ProviderClock() as clock:
                    if profiler is not None:
                        profiler.enable()
                    started, cpu_started, thread_started = time.perf_counter(), time.process_time(), time.thread_time()
                    response = browser.client.get(callback)
                    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
                    thread_cpu = time.thread_time() - thread_started
                    if profiler is not None:
                        profiler.disable()
                assert response.status_code == 302, response.get_data(as_text=True)[:300]
                seen.add(number)
                timings[kind].append((elapsed - clock.spent) * 1000)
                provider_times.append(clock.spent * 1000)
                cpu_times.append(cpu * 1000)
                thread_cpu_times.append(thread_cpu * 1000)
                statements.append(len(log.statements))
                commits.append(log.commits)
            if profiler is not None:
                profiler.dump_stats(args.profile)
            refetched = provider.discovery_requests - fetched[0], provider.jwks_requests - fetched[1]

        engine = url.split(":", 1)[0]
        print(f"\nOIDC callback server time, {args.people:,} people in {engine}, provider round trips excluded")
        for kind, values in timings.items():
            print(
                f"  {kind:10} n={len(values):4}  p50 {statistics.median(values):6.1f} ms  "
                f"p95 {percentile(values, 0.95):6.1f} ms  max {max(values):6.1f} ms"
            )
        both = timings["first"] + timings["returning"]
        print(
            f"  {'all':10} n={len(both):4}  p50 {statistics.median(both):6.1f} ms  p95 {percentile(both, 0.95):6.1f} ms"
        )
        print(f"  provider round trips (token endpoint) p50 {statistics.median(provider_times):.1f} ms (excluded)")
        print(
            f"  the platform process's CPU time per callback (client side of the provider calls included): "
            f"p50 {statistics.median(cpu_times):.1f} ms, p95 {percentile(cpu_times, 0.95):.1f} ms"
        )
        print(
            f"  the callback thread's own CPU time (the provider's thread left out): "
            f"p50 {statistics.median(thread_cpu_times):.1f} ms, p95 {percentile(thread_cpu_times, 0.95):.1f} ms"
        )
        print(
            f"  SQL per callback: statements min {min(statements)} / median {statistics.median(statements):.0f} "
            f"/ max {max(statements)}, commits min {min(commits)} / max {max(commits)}"
        )
        print(f"  discovery document and JWKS fetched while timed: {refetched[0]} and {refetched[1]} times")
        print(f"  load average at the end: {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
        with app.app_context():
            db.engine.dispose()


def _callback_url(browser: Any, provider: Any) -> str:
    """Start a sign-in and let the provider answer; return the callback path the browser is sent to."""
    authorize = browser.start("/login/oidc/thaid")
    answer = browser.http.get(authorize, allow_redirects=False, timeout=10)
    location = answer.headers["Location"]
    return location.removeprefix(BASE_URL)


if __name__ == "__main__":
    main()
