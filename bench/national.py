"""Benchmark: the people-based reads at national scale (3,000,000 state personnel), on PostgreSQL.

Builds (or, with ``--reuse NAME``, reuses and completes) a database of the national demo
government: 3,000,000 people through the real importer (``build_demo(national=True)``:
about 400,000 ordinary civil servants, the rest teachers, police, military and local
officials, government, permanent and temporary employees), then, with the builders of
bench/coverage.py, bench/portal.py and bench/hr_person.py (bench/builders.py): evidence
(by default 5,000,000 rows for a fifth of the people) and attainment; the projections
coverage counts (training years as derived, standing drawn with fixed shares, set-based as
bench/gdx_feed.py does; ``--refresh-standings`` for the projection's own, slow, refresh);
courses and enrolments, learners who sign in, and one person with a long history
(5,000 statements) and their HR officer. Each stage is skipped when the
database already has it, so a reused database is completed, not rebuilt.

Then prints, each with the load average: coverage of every agency and of one department
(median of 5), the GDX feed of every agency (median of 5), and p50/p95 of the learner
dashboard, catalogue, course page and HR person page through gunicorn on loopback.

The database (``academy_national`` unless ``--name``) is kept at the end, for other benchmarks.

    .venv/bin/python bench/national.py [--people 3000000] [--reuse academy_national] [--skip-pages]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time
import uuid

from builders import (
    add_courses,
    add_enrolments,
    add_evidence,
    add_learners,
    add_person_history,
    project_standings_in_sql,
    refresh_standings,
)
from coverage import timed
from lrs_common import free_port, gunicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BENCH_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5434/postgres"
NAME = "academy_national"
BASE_URL = "https://academy.go.th"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def database(server_url: str, name: str, reuse: bool) -> str:
    """The URL of the benchmark database: created (it must not exist yet) or, with ``reuse``, found."""
    server = make_url(server_url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
        if reuse and not exists:
            raise SystemExit(f"--reuse {name}: no such database on {server.render_as_string()}")
        if not reuse:
            if exists:
                raise SystemExit(f"database {name} exists: pass --reuse {name}, or drop it first")
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def app_for(database_url: str, secret_key: str | None = None):  # type: ignore[no-untyped-def]
    from academy import create_app
    from academy.config import Settings

    environ = {"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url, "ACADEMY_BASE_URL": BASE_URL}
    if secret_key:
        environ["ACADEMY_SECRET_KEY"] = secret_key
    settings = Settings.from_environ(environ)
    return create_app(settings=settings)


def build_people(people: int) -> None:
    """The national demo government through the real importer, unless the database has people already."""
    from sqlalchemy import func, select

    from academy.db import db
    from academy.org.demo import build_demo
    from academy.org.models import Person

    if db.session.scalar(select(func.count()).select_from(Person)):
        return
    started = time.monotonic()
    imported = 0

    def progress(rows: int) -> None:
        nonlocal imported
        before, imported = imported, imported + rows
        if imported // 250_000 != before // 250_000:
            print(f"  {imported:,} people after {time.monotonic() - started:.0f} s ({load()})", flush=True)

    result = build_demo(people=people, base_url=BASE_URL, password=None, progress=progress, national=True)
    imported_at = time.monotonic()
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"built {result.report.created:,} people in {result.agencies:,} agencies through the importer: "
        f"{imported_at - started:.0f} s to import, {time.monotonic() - started:.0f} s with the commit and ANALYZE, "
        f"{result.report.created / (imported_at - started):,.0f} rows/s, peak RSS {peak:.0f} MB ({load()})",
        flush=True,
    )


def build_learning(args: argparse.Namespace) -> None:
    """Evidence, attainment and standing; courses and enrolments; learners; one person's history (what is missing)."""
    from sqlalchemy import func, select

    from academy.auth.models import User
    from academy.db import db
    from competencies.models import Evidence, TrainingYear
    from competencies.services.frameworks import active_standard, seed_standard
    from courses.models import Course

    rng = random.Random(2569)
    if active_standard() is None:
        seed_standard()
        db.session.commit()
    if not db.session.scalar(select(func.count()).select_from(select(Evidence.id).limit(1).subquery())):
        add_evidence(args.evidence, people_share=args.evidence_share)
    if not db.session.scalar(select(func.count()).select_from(select(TrainingYear.person_id).limit(1).subquery())):
        if args.refresh_standings:
            refresh_standings(everyone=False)
        else:
            project_standings_in_sql()
    if not db.session.scalar(select(func.count()).select_from(Course)):
        started = time.monotonic()
        add_courses(rng, args.courses, BASE_URL)
        add_enrolments(rng, args.enrolments)
        print(f"built {args.courses} courses and {args.enrolments:,} enrolments in {time.monotonic() - started:.0f} s")
    if not db.session.scalar(select(func.count()).select_from(User).where(User.email.like("hr.bench@%"))):
        started = time.monotonic()
        add_learners(rng, args.learners)
        add_person_history(rng, base_url=BASE_URL, enrolments=200, statements=5000, noise=5000)
        print(f"built {args.learners} learners and one person's history in {time.monotonic() - started:.0f} s")


def subjects() -> tuple[list[str], list[str], str, str]:
    """The learners' emails, the course codes, the HR officer's email and their person's public id."""
    from sqlalchemy import select

    from academy.auth.models import User
    from academy.db import db
    from academy.org.models import Person, PersonnelGroup
    from courses.models import Course

    officer = db.session.scalars(select(User.email).where(User.email.like("hr.bench@%"))).one()
    learners = list(
        db.session.scalars(
            select(User.email).where(User.person_id.is_not(None), ~User.email.like("hr.bench@%")).order_by(User.id)
        )
    )
    codes = list(db.session.scalars(select(Course.code).where(Course.code.like("BENCH%")).order_by(Course.code)))
    person = db.session.scalars(
        select(Person.public_id).where(Person.personnel_group == PersonnelGroup.IT).order_by(Person.id).limit(1)
    ).one()
    return learners, codes, officer, str(person)


def measure_reports(app) -> None:  # type: ignore[no-untyped-def]
    """Coverage of every agency and of departments, and the GDX feed of every agency; printed."""
    from gdx_feed import FISCAL_YEAR, measure_feed, print_feed
    from sqlalchemy import func, select

    from academy.db import db
    from academy.org.models import Agency, AgencyKind, Person, PersonnelGroup, PersonStatus
    from competencies.services.coverage import agency_coverage, coverage
    from competencies.services.frameworks import active_standard

    framework = active_standard()
    assert framework is not None
    people = db.session.scalar(select(func.count()).select_from(Person)) or 0
    it_people = db.session.scalar(
        select(func.count()).where(Person.personnel_group == PersonnelGroup.IT, Person.status == PersonStatus.ACTIVE)
    )
    agencies = dict(db.session.execute(select(Agency.kind, func.count()).group_by(Agency.kind)).all())
    print(
        f"national benchmark: {people:,} people ({it_people:,} active IT), {sum(agencies.values()):,} agencies "
        f"({agencies.get(AgencyKind.MINISTRY, 0)} top-level, {agencies.get(AgencyKind.DEPARTMENT, 0)} departments, "
        f"{agencies.get(AgencyKind.DIVISION, 0)} units), FY {FISCAL_YEAR}, PostgreSQL",
        flush=True,
    )
    first = db.session.scalars(
        select(Agency).where(Agency.kind == AgencyKind.DEPARTMENT).order_by(Agency.code).limit(1)
    ).one()
    # The largest department (with its units) by IT headcount: coverage itself says which (a warm-up, too).
    departments = db.session.scalars(select(Agency).where(Agency.kind == AgencyKind.DEPARTMENT)).all()
    records = {r.agency.id: r for r in coverage(FISCAL_YEAR, framework) if r.agency.kind is AgencyKind.DEPARTMENT}
    largest = max(departments, key=lambda d: records[d.id].figures.headcount if d.id in records else 0)
    figures = []
    for label, department in (("first department", first), ("largest department", largest)):
        values = timed(lambda d=department: agency_coverage(d, FISCAL_YEAR, framework), 5)  # type: ignore[misc]
        heads = agency_coverage(department, FISCAL_YEAR, framework).figures.headcount
        figures.append((f"coverage, {label} ({department.name_en[:28]}, {heads:,} IT)", values, load()))
    values = timed(lambda: coverage(FISCAL_YEAR, framework), 5)
    figures.append((f"coverage, every agency ({sum(agencies.values()):,})", values, load()))
    for label, values, at in figures:
        print(
            f"  {label:66} median {statistics.median(values) * 1000:7.1f} ms   "
            f"max {max(values) * 1000:7.1f} ms   ({at})",
            flush=True,
        )
    # Everyone's feed (2.8 million Non-IT people counted) once: it takes seconds a page.
    feed = measure_feed(app, framework, service_repeat=5, it_repeat=5, all_repeat=1)
    db.session.rollback()
    print_feed(feed)


def measure_http(
    database_url: str, args: argparse.Namespace, learners: list[str], codes: list[str], officer: str, public_id: str
) -> None:
    """The learner's pages and the HR person page through gunicorn on loopback; p50/p95 printed."""
    from builders import enrol_second_factor
    from hr_person import measure_person_page
    from portal import measure_pages, p95, sign_in

    from academy.db import db

    os.environ["ACADEMY_LOGIN_RATE_LIMIT"] = "10000 per minute"  # every learner signs in from 127.0.0.1
    secret_key = "bench-" + uuid.uuid4().hex + uuid.uuid4().hex
    with app_for(database_url, secret_key).app_context():
        totp = enrol_second_factor(officer)
        db.engine.dispose()
    port = free_port()
    with gunicorn(database_url, args.workers, port, secret_key=secret_key):
        cookies = [sign_in(port, email) for email in learners]
        timings = measure_pages(port, cookies, codes, requests=args.requests, clients=args.clients)
        at = load()
        cookie = sign_in(port, officer, totp)
        person, size = measure_person_page(
            port, cookie, public_id, requests=args.requests, clients=args.clients, warm_up=args.workers * 3
        )
        person_at = load()
    print(f"  pages through gunicorn ({args.workers} workers, {args.clients} concurrent clients, loopback):")
    for kind, values in timings.items():
        print(
            f"  {kind:18} p50 {statistics.median(values) * 1000:6.1f} ms   p95 {p95(values) * 1000:6.1f} ms   "
            f"({len(values)} requests, {at})"
        )
    print(
        f"  {'HR person page':18} p50 {statistics.median(person) * 1000:6.1f} ms   p95 {p95(person) * 1000:6.1f} ms   "
        f"({len(person)} requests, page {size / 1024:.0f} KiB, {person_at})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=3_000_000)
    parser.add_argument("--postgres", default=BENCH_POSTGRES, help="the benchmark cluster")
    parser.add_argument("--name", default=NAME, help="the database's name")
    parser.add_argument("--reuse", metavar="NAME", help="complete and measure this existing database")
    parser.add_argument("--people-only", action="store_true", help="stop after the people are built")
    parser.add_argument("--evidence", type=int, default=5_000_000, help="evidence rows")
    parser.add_argument("--evidence-share", type=float, default=0.2, help="share of the people with evidence")
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--enrolments", type=int, default=1_000_000)
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--skip-pages", action="store_true", help="measure the reports only")
    parser.add_argument("--skip-reports", action="store_true", help="measure the pages only")
    parser.add_argument(
        "--refresh-standings",
        action="store_true",
        help="standing by the projection's own refresh (slow at this scale), not set-based SQL",
    )
    args = parser.parse_args()
    name = args.reuse or args.name
    database_url = database(args.postgres, name, reuse=bool(args.reuse))
    import flask_migrate

    from academy.db import db

    app = app_for(database_url)
    with app.app_context():
        flask_migrate.upgrade()
        build_people(args.people)
        db.engine.dispose()
    if args.people_only:
        return
    with app.app_context():
        build_learning(args)
        learners, codes, officer, public_id = subjects()
        if not args.skip_reports:
            measure_reports(app)
        db.engine.dispose()
    if not args.skip_pages:
        measure_http(database_url, args, learners, codes, officer, public_id)
    print(f"database {name} kept on {make_url(args.postgres).render_as_string()}")


if __name__ == "__main__":
    main()
