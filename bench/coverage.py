"""Benchmark: coverage and attainment at civil-service scale, on PostgreSQL.

Builds the demo government with N people (default 400,000) through the real importer,
adds E evidence rows (default 10,000,000) and their attainment, then prints the time of:
coverage of one department, coverage of every agency for a fiscal year, and recomputing
one person's attainment after a statement.

    .venv/bin/python bench/coverage.py [--people 400000] [--evidence 10000000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from builders import add_evidence, refresh_standings
from lrs_common import DEFAULT_POSTGRES, fresh_postgres


def timed(function, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    values = []
    for _ in range(repeat):
        begin = time.perf_counter()
        function()
        values.append(time.perf_counter() - begin)
    return values


def build_government(people: int, evidence: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """Fill the migrated database of the current app context and return the seeded standard.

    The demo government with ``people`` people through the real importer, ``evidence``
    statement evidence rows over the last two years, their attainment, and everyone's
    standing (the projection coverage counts). Other benchmarks build their data with it.
    """
    from academy.db import db
    from academy.org.demo import build_demo
    from competencies.services.frameworks import seed_standard

    started = time.monotonic()
    build_demo(people=people, base_url="https://academy.example.go.th", password=None)
    framework = seed_standard()
    db.session.commit()
    print(f"built {people:,} people in {time.monotonic() - started:.0f} s")
    add_evidence(evidence, seed=seed)
    refresh_standings()
    return framework


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--evidence", type=int, default=10_000_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import func, select

    from academy import create_app
    from academy.config import Settings
    from academy.dates import current_fiscal_year
    from academy.db import db
    from academy.org.models import Agency, AgencyKind, Person
    from competencies.services.coverage import agency_coverage, coverage
    from competencies.services.evidence import recompute_attainment

    with fresh_postgres(args.postgres) as database_url:
        settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
        app = create_app(settings=settings)
        with app.app_context():
            flask_migrate.upgrade()
            framework = build_government(args.people, args.evidence)
            rng = random.Random(7)
            competencies = [c.id for c in framework.competencies if c.parent_id is not None]

            year = current_fiscal_year()
            department = db.session.scalars(
                select(Agency).where(Agency.kind == AgencyKind.DEPARTMENT).order_by(Agency.code)
            ).first()
            assert department is not None
            one = timed(lambda: agency_coverage(department, year, framework), 5)
            every = timed(lambda: coverage(year, framework), 3)
            people = db.session.scalars(select(Person.id).order_by(func.random()).limit(50)).all()
            recompute = timed(lambda: recompute_attainment({(rng.choice(people), rng.choice(competencies))}), 50)
            db.session.rollback()
            heads = agency_coverage(department, year, framework).figures.headcount
    print(f"coverage benchmark: {args.people:,} people, {args.evidence:,} evidence rows, PostgreSQL")
    for label, values in ((f"one department ({heads:,} IT staff)", one), ("every agency, one fiscal year", every)):
        print(f"  {label:36} median {statistics.median(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms")
    print(
        f"  recompute one person's attainment   median {statistics.median(recompute) * 1000:7.2f} ms   "
        f"p95 {sorted(recompute)[int(len(recompute) * 0.95) - 1] * 1000:7.2f} ms"
    )


if __name__ == "__main__":
    main()
