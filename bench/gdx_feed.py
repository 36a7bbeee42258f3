"""Benchmark: the GDX coverage feed of every agency at civil-service scale, on PostgreSQL.

Builds the demo government with N people (default 400,000) through the real importer,
then the projections coverage counts (standing, training years, areas) straight in SQL
with fixed random shares (bench/coverage.py measures how evidence becomes them). Prints:

* the feed of every agency as a service call (two coverage() calls, suppression, records);
* the feed over HTTP: validate, then every page of a read (per_page=1000, or --per-page),
  page 1 and then each page's ``next`` link, with the token check and JSON serialisation, in
  process (Flask's test client): the first read, which builds the feed and keeps the build,
  and reads served from the kept build; and one ministry's record (of the kept build);
* how many records are published and how many small units are folded.

With ``--concurrent N`` it measures only concurrent first reads instead: N processes (as N
gunicorn workers would be), each with its own app and connections, GET the IT feed's first
page at the same moment with no build kept (max age 300 s), ``--rounds`` times: how many
builds were made, the wall time of the slowest read, each read's time, and the CPU time
of the readers' processes; a build made per key is one snapshot row.

    .venv/bin/python bench/gdx_feed.py [--people 400000] [--database URL] [--per-page 1000]
    .venv/bin/python bench/gdx_feed.py --database URL --concurrent 4 [--rounds 3]

``--database`` uses that database (built when it has no agencies) and keeps it, so that
bench/gdx_push.py can reuse it; otherwise a fresh one is made and dropped.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lrs_common import DEFAULT_POSTGRES, fresh_postgres

FISCAL_YEAR = 2569
TRAINED_SHARE = 0.45
MEETS_SHARE = 0.25
AREA_SHARE = 0.40


def timed(function: Callable[[], Any], repeat: int) -> list[float]:
    values = []
    for _ in range(repeat):
        begin = time.perf_counter()
        function()
        values.append(time.perf_counter() - begin)
    return values


@contextmanager
def bench_database(args: argparse.Namespace) -> Iterator[str]:
    if args.database:
        yield args.database
    else:
        with fresh_postgres(args.postgres) as url:
            yield url


def build_government(people: int) -> None:
    """The demo government and its projections, in the app context's database (skipped when present)."""
    import flask_migrate
    from sqlalchemy import func, select, text

    from academy.db import db
    from academy.org.demo import build_demo
    from academy.org.models import Agency
    from competencies.services.frameworks import seed_standard

    flask_migrate.upgrade()
    if db.session.scalar(select(func.count()).select_from(Agency)):
        print("the database already has a government: reused")
        return
    started = time.monotonic()
    build_demo(people=people, base_url="https://academy.example.go.th", password=None)
    framework = seed_standard()
    db.session.commit()
    print(f"built {people:,} people in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    db.session.execute(text("SELECT setseed(0.42)"))
    db.session.execute(
        text(
            "INSERT INTO standings (person_id, meets_all, updated_at) SELECT id, random() < :share, now() FROM people"
        ),
        {"share": MEETS_SHARE},
    )
    db.session.execute(
        text(
            "INSERT INTO training_years (person_id, fiscal_year) SELECT id, :year FROM people WHERE random() < :share"
        ),
        {"year": FISCAL_YEAR, "share": TRAINED_SHARE},
    )
    db.session.execute(
        text(
            "INSERT INTO area_standings (person_id, area_id) SELECT p.id, c.id FROM people p "
            "CROSS JOIN competencies c WHERE c.framework_id = :framework AND c.parent_id IS NULL "
            "AND random() < :share"
        ),
        {"framework": framework.id, "share": AREA_SHARE},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    print(f"projections (standing, FY {FISCAL_YEAR} training, areas) in {time.monotonic() - started:.0f} s")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass
class FeedFigures:
    records: int
    departments: int
    folded: int
    #: label -> (timings (s), the load average after them)
    timings: dict[str, tuple[list[float], str]]
    response_bytes: int


def measure_feed(
    app: Any, framework: Any, *, service_repeat: int, it_repeat: int, all_repeat: int, per_page: int = 1000
) -> FeedFigures:
    """The feed of every agency as a service call, then over HTTP: every page of a read, first and from a kept build."""
    from sqlalchemy import delete

    from academy.db import db
    from academy.org.models import AgencyKind
    from api.gdx.models import GdxFeedSnapshot
    from api.gdx.services.consumers import create_consumer
    from api.gdx.services.feed import build_feed

    service = timed(lambda: build_feed(FISCAL_YEAR, framework), service_repeat)
    timings = {"feed of every agency (service)": (service, load())}
    entries = build_feed(FISCAL_YEAR, framework)
    folded = sum(len(entry.folded_units) for entry in entries)
    departments = sum(1 for e in entries if e.record.agency.kind is AgencyKind.DEPARTMENT)
    ministries = [e for e in entries if e.record.agency.kind is AgencyKind.MINISTRY and not e.suppressed]
    largest = max(ministries, key=lambda e: e.record.figures.headcount).record.agency

    new = create_consumer("bench")
    db.session.commit()
    client = app.test_client()
    answer = client.get(
        "/api/v1/gdx/auth/validate",
        headers={"Consumer-Key": new.consumer.key, "Consumer-Secret": new.secret},
    )
    headers = {"Consumer-Key": new.consumer.key, "Token": answer.get_json()["Result"]}
    # A build is kept for the reads after the first (the bench's app runs with the tests' 0).
    app.config["ACADEMY_GDX_FEED_MAX_AGE"] = 3600
    sizes: list[int] = []
    pages_read: dict[str, int] = {}

    def get(query: dict[str, Any]) -> tuple[dict[str, Any], int]:
        response = client.get("/api/v1/gdx/coverage", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return dict(response.get_json()), len(response.get_data())

    def read_feed(population: str) -> None:
        """Every record: page 1, then each page's next link, as a consumer reads the feed."""
        body, size = get({"fiscal_year": FISCAL_YEAR, "per_page": per_page, "population": population})
        records, pages = len(body["data"]), 1
        while body["links"]["next"]:
            body, more = get(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(body["links"]["next"]).query)))
            records, pages, size = records + len(body["data"]), pages + 1, size + more
        assert records == body["total"] and (records == len(entries) or population != "it")
        pages_read[population] = pages
        sizes.append(size)

    def first_read(population: str) -> None:
        db.session.execute(delete(GdxFeedSnapshot).where(GdxFeedSnapshot.population == population))
        db.session.commit()
        read_feed(population)

    for population, repeat in (("it", it_repeat), ("all", all_repeat)):
        cold = timed(lambda p=population: first_read(p), repeat)  # type: ignore[misc]
        cold_load = load()
        kept = timed(lambda p=population: read_feed(p), repeat)  # type: ignore[misc]
        label = f"GET /coverage, every agency, {population} ({pages_read[population]} pages of {per_page})"
        timings[f"{label}, first read (builds)"] = (cold, cold_load)
        timings[f"{label}, from a kept build"] = (kept, load())
    one = timed(lambda: get({"fiscal_year": FISCAL_YEAR, "agency": largest.code}), it_repeat)
    timings[f"GET /coverage, one ministry ({largest.code}), its record of the kept build"] = (one, load())
    return FeedFigures(len(entries), departments, folded, timings, max(sizes))


def print_feed(feed: FeedFigures) -> None:
    """The figures, each line with the load average just after it was measured."""
    print(
        f"  IT feed: {feed.records} records published ({feed.departments} departments), "
        f"{feed.folded} small units folded into their parents"
    )
    for label, (values, at) in feed.timings.items():
        print(
            f"  {label:84} median {statistics.median(values) * 1000:7.0f} ms   max {max(values) * 1000:7.0f} ms"
            f"   ({at})"
        )
    print(f"  largest read {feed.response_bytes / 1024:.0f} KiB (budget: 2 s for the feed of every agency)")


def concurrent_reader(
    database_url: str, headers: dict[str, str], start: Any, results: Any
) -> None:  # pragma: no cover - a child process
    """One reader (a process of its own): wait for the others, GET the IT feed's page 1, say what it got."""
    from academy import create_app
    from academy.config import Settings

    app = create_app(
        settings=Settings.from_environ(
            {"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url, "ACADEMY_GDX_FEED_MAX_AGE": "300"}
        )
    )
    client = app.test_client()
    client.get("/api/v1/gdx/metadata", headers=headers)  # the process's first request (its imports, connections)
    start.wait()
    began, cpu = time.perf_counter(), time.process_time()
    response = client.get(
        "/api/v1/gdx/coverage", query_string={"fiscal_year": FISCAL_YEAR, "per_page": 1000}, headers=headers
    )
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    # Parsed after the clock stops: a waiter's first parse of the body took up to 1.6 s more under load.
    results.put((response.status_code, response.get_json().get("snapshot"), seconds, cpu))


def measure_concurrent(app: Any, database_url: str, readers: int, rounds: int) -> None:
    """``readers`` processes read the IT feed at once with no build kept, ``rounds`` times; print builds and times."""
    from sqlalchemy import delete, func, select

    from academy.db import db
    from api.gdx.models import GdxFeedSnapshot
    from api.gdx.services.consumers import create_consumer

    new = create_consumer("bench (concurrent)")
    db.session.commit()
    answer = app.test_client().get(
        "/api/v1/gdx/auth/validate", headers={"Consumer-Key": new.consumer.key, "Consumer-Secret": new.secret}
    )
    headers = {"Consumer-Key": new.consumer.key, "Token": answer.get_json()["Result"]}
    context = multiprocessing.get_context("spawn")
    print(f"{readers} concurrent first reads of the IT feed (page 1 of 1000), no build kept, max age 300 s:")
    for number in range(1, rounds + 1):
        db.session.execute(delete(GdxFeedSnapshot).where(GdxFeedSnapshot.population == "it"))
        db.session.commit()
        start, results = context.Barrier(readers + 1), context.Queue()
        processes = [
            context.Process(target=concurrent_reader, args=(database_url, headers, start, results))
            for _ in range(readers)
        ]
        for process in processes:
            process.start()
        before = load()
        start.wait()  # the readers have their apps and have served a first request: from here on, the reads
        answers = [results.get(timeout=600) for _ in processes]
        for process in processes:
            process.join()
        assert all(status == 200 for status, *_ in answers), answers
        builds = db.session.scalar(
            select(func.count()).select_from(GdxFeedSnapshot).where(GdxFeedSnapshot.population == "it")
        )
        served = len({snapshot for _, snapshot, _, _ in answers})
        seconds = ", ".join(f"{s:.2f}" for s in sorted(s for _, _, s, _ in answers))
        cpu = sum(c for *_, c in answers)
        # Every read starts at the barrier: the slowest is the wall time of the lot.
        slowest = max(s for _, _, s, _ in answers)
        print(
            f"  round {number}: {builds} builds, {served} build(s) served; slowest read {slowest:.2f} s; "
            f"reads {seconds} s; readers' CPU {cpu:.2f} s   ({before} before, {load()} after)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server for a fresh database")
    parser.add_argument("--database", default=None, help="use (and keep) this database instead")
    parser.add_argument("--per-page", type=int, default=1000, help="records a page (1 to 1,000)")
    parser.add_argument("--concurrent", type=int, default=0, help="N concurrent first reads instead (processes)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --concurrent reads")
    args = parser.parse_args()

    from sqlalchemy import func, select

    from academy import create_app
    from academy.config import Settings
    from academy.db import db
    from academy.org.models import Agency, AgencyKind, Person, PersonnelGroup, PersonStatus
    from competencies.services.frameworks import active_standard

    with bench_database(args) as database_url:
        settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
        app = create_app(settings=settings)
        with app.app_context():
            build_government(args.people)
            framework = active_standard()
            assert framework is not None
            if args.concurrent:
                measure_concurrent(app, database_url, args.concurrent, args.rounds)
                return
            people = db.session.scalar(select(func.count()).select_from(Person)) or 0
            it_people = db.session.scalar(
                select(func.count())
                .select_from(Person)
                .where(Person.personnel_group == PersonnelGroup.IT, Person.status == PersonStatus.ACTIVE)
            )
            by_kind = select(Agency.kind, func.count()).group_by(Agency.kind)
            kinds: dict[AgencyKind, int] = {kind: count for kind, count in db.session.execute(by_kind)}
            feed = measure_feed(app, framework, service_repeat=3, it_repeat=5, all_repeat=3, per_page=args.per_page)
            db.session.rollback()

    print(f"GDX feed benchmark: {people:,} people ({it_people:,} active IT), PostgreSQL, FY {FISCAL_YEAR}")
    print(
        f"  agencies: {kinds.get(AgencyKind.MINISTRY, 0)} ministries, {kinds.get(AgencyKind.DEPARTMENT, 0)} "
        f"departments, {kinds.get(AgencyKind.DIVISION, 0)} divisions"
    )
    print_feed(feed)


if __name__ == "__main__":
    main()
