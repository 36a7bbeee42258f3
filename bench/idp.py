"""Benchmark: individual development plans at civil-service scale, on PostgreSQL.

Builds the demo government with N people (default 400,000) through the real importer, then,
with set-based inserts: attainment for ~15% of (person, competency) pairs, one IDP of 5 goals
for half of the people (every state, agreed for most), and a supervisor with a team of 50.
Prints the time of HR's IDP figures of the largest ministry (its tree, its units, its most
planned competencies: budget 500 ms), of every agency (budget 3 s), and the p95 of the
supervisor's team page for 50 people over HTTP in process (budget 150 ms).

    .venv/bin/python bench/idp.py [--people 400000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import nullcontext

from lrs_common import DEFAULT_POSTGRES, fresh_postgres

TEAM = 50


def timed(function, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    values = []
    for _ in range(repeat):
        begin = time.perf_counter()
        function()
        values.append(time.perf_counter() - begin)
    return values


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def build(people: int, fiscal_year: int) -> None:
    """The demo government, attainment, plans for half the people, a team of 50."""
    from sqlalchemy import text

    from academy.db import db
    from academy.org.demo import build_demo
    from competencies.services.frameworks import seed_standard

    started = time.monotonic()
    build_demo(people=people, base_url="https://academy.example.go.th", password=None)
    seed_standard()
    db.session.commit()
    print(f"built {people:,} people in {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    statements = [
        # Attainment for about 15% of (person, competency) pairs, as evidence would leave it.
        """INSERT INTO attainments (person_id, competency_id, level, as_of, evidence_count)
           SELECT p.id, c.id, 1 + (abs(hashtext(p.id::text || '/' || c.id::text)) % 4), now(), 1
           FROM people p CROSS JOIN competencies c
           WHERE c.parent_id IS NOT NULL AND abs(hashtext(c.id::text || ':' || p.id::text)) % 100 < 15""",
        # One plan for every other person, in every state (most of them agreed).
        """INSERT INTO idps (person_id, fiscal_year, state, due_date, return_comment, version, created_at,
                             updated_at, submitted_at, agreed_at)
           SELECT id, :fy,
                  (ARRAY['draft','submitted','returned','agreed','agreed','agreed','agreed','closed'])[1 + id % 8],
                  make_date(:fy - 543, 9, 30), '', 3, now(), now(), now(), now()
           FROM people WHERE id % 2 = 0""",
        # Five goals each, on competencies spread over the standard.
        """WITH leaves AS (SELECT array_agg(id ORDER BY id) AS ids FROM competencies WHERE parent_id IS NOT NULL)
           INSERT INTO idp_goals (idp_id, competency_id, target_level, due_date, sort_order, result_note)
           SELECT i.id, leaves.ids[1 + ((i.id * 7 + g * 5) % array_length(leaves.ids, 1))], 1 + (i.id + g) % 4,
                  make_date(:fy - 543, 9, 30), g, ''
           FROM idps i CROSS JOIN generate_series(1, 5) g CROSS JOIN leaves""",
        # Each goal's attained level, as the attainment projection keeps it (migration 0021's backfill).
        """UPDATE idp_goals SET attained_level = a.level FROM idps i, attainments a
           WHERE i.id = idp_goals.idp_id AND a.person_id = i.person_id AND a.competency_id = idp_goals.competency_id""",
        # Each plan's goals and goals met, as workflow.record_change and the projection keep them.
        """UPDATE idps SET goal_count = c.goals, goals_met = c.met
           FROM (SELECT idp_id, count(*) AS goals,
                        count(*) FILTER (WHERE result = 'met'
                                         OR (result IS NULL AND attained_level >= target_level)) AS met
                 FROM idp_goals GROUP BY idp_id) c
           WHERE c.idp_id = idps.id""",
    ]
    for statement in statements:
        db.session.execute(text(statement), {"fy": fiscal_year})
        db.session.commit()
    # What autovacuum would have done by the time HR looks (this server may run without it): statistics,
    # and the visibility map that lets the figures read covering indexes alone.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    print(f"added attainment, {people // 2:,} plans of 5 goals in {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--database", help="an existing database to use (built on first use, kept after): for repeated runs"
    )
    args = parser.parse_args()

    import re

    import flask_migrate
    from sqlalchemy import func, select, update

    from academy import create_app
    from academy.auth.models import User
    from academy.auth.services import create_user
    from academy.config import Settings
    from academy.dates import current_fiscal_year
    from academy.db import db
    from academy.org.models import Agency, AgencyKind, Person
    from competencies.idp.services.figures import agency_idp_figures, idp_figures, planned_competencies

    fiscal_year = current_fiscal_year()
    with nullcontext(args.database) if args.database else fresh_postgres(args.postgres) as database_url:
        settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
        app = create_app(settings=settings)
        with app.app_context():
            flask_migrate.upgrade()
            if not db.session.scalar(select(func.count()).select_from(Person)):
                build(args.people, fiscal_year)
            # Only the team of an earlier run (rewriting every person would bloat the table run after run).
            db.session.execute(update(Person).where(Person.supervisor_id.is_not(None)).values(supervisor_id=None))
            sizes = {
                a: db.session.scalar(
                    select(func.count()).select_from(Person).join(Agency).where(Agency.path.startswith(a.path))
                )
                for a in db.session.scalars(select(Agency).where(Agency.kind == AgencyKind.MINISTRY))
            }
            ministry = max(sizes, key=lambda a: sizes[a] or 0)

            def ministry_figures() -> None:
                agency_idp_figures(ministry, fiscal_year)
                planned_competencies(ministry, fiscal_year)

            before = os.getloadavg()
            one = timed(ministry_figures, 5)
            every = timed(lambda: idp_figures(fiscal_year), 3)
            own, _units = agency_idp_figures(ministry, fiscal_year)

            # A supervisor with a team of 50 in one division.
            biggest = db.session.scalars(
                select(Person.agency_id).group_by(Person.agency_id).order_by(func.count().desc()).limit(1)
            ).one()
            lead = db.session.scalars(
                select(Person).where(Person.agency_id == biggest).order_by(Person.id).limit(1)
            ).one()
            team = db.session.scalars(
                select(Person.id).where(Person.agency_id == lead.agency_id, Person.id != lead.id).limit(TEAM)
            ).all()
            db.session.execute(update(Person).where(Person.id.in_(team)).values(supervisor_id=lead.id))
            user = db.session.scalar(select(User).where(User.email == "lead@example.go.th"))
            if user is None:
                user = create_user(email="lead@example.go.th", password="bench-password-1", person=lead)
            db.session.commit()
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token is not None
            response = client.post(
                "/login", data={"email": user.email, "password": "bench-password-1", "csrf_token": token.group(1)}
            )
            assert response.status_code == 302, response.status_code
            first = client.get("/team")
            assert first.status_code == 200
            shown = first.get_data(as_text=True).count('href="/team/')
            pages = timed(lambda: client.get("/team"), 60)
    load = os.getloadavg()
    print(f"IDP benchmark: {args.people:,} people, {args.people // 2:,} plans of 5 goals, PostgreSQL")
    print(f"  load average before the timings {before[0]:.1f}, after {load[0]:.1f} (1 min; {os.cpu_count()} cores)")
    print(
        f"  HR figures of the largest ministry ({sizes[ministry]:,} people, {own.agreed:,} agreed plans): "
        f"median {statistics.median(one) * 1000:.1f} ms, max {max(one) * 1000:.1f} ms"
    )
    every_ms = (statistics.median(every) * 1000, max(every) * 1000)
    print(f"  HR figures of every agency: median {every_ms[0]:.1f} ms, max {every_ms[1]:.1f} ms")
    print(
        f"  team page ({shown} people shown, a team of {len(team)}): p50 {statistics.median(pages) * 1000:.1f} ms, "
        f"p95 {p95(pages) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
