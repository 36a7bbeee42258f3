"""Benchmark: HR report exports and the dashboard at civil-service scale, on PostgreSQL.

Builds the demo government with N people (default 400,000) and E evidence rows (default
10,000,000) with bench/coverage.py's builder, then times, for the ministry with the most
people: the dashboard figures, the dashboard page over HTTP (an admin signed in), and the
XLSX, PDF and CSV exports (each end to end: figures, then the file), for the IT population
(the default) and for everyone; and the XLSX of the ministry's IT people with their status.
The target: an XLSX export of a ministry in at most 5 s.

    .venv/bin/python bench/report_export.py [--people 400000] [--evidence 10000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
from collections.abc import Callable
from datetime import UTC, datetime

import pyotp
from coverage import build_government, timed
from lrs_common import DEFAULT_POSTGRES, fresh_postgres

PASSWORD = "bench-password-1234"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--evidence", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()

    import flask_migrate
    from sqlalchemy import func, select

    from academy import create_app
    from academy.auth.models import Role
    from academy.auth.second_factor import enrol_totp
    from academy.auth.services import create_user
    from academy.config import Settings
    from academy.dates import current_fiscal_year
    from academy.db import db
    from academy.org.models import Agency, AgencyKind, Person
    from competencies.reports.exports import report_csv, report_pdf, report_xlsx
    from competencies.reports.services import agency_report, people_report
    from competencies.services.coverage import Population, PopulationFilter, agency_coverage

    results: list[tuple[str, list[float], int | None]] = []
    with fresh_postgres(args.postgres) as database_url:
        settings = Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url})
        app = create_app(settings=settings)
        with app.app_context():
            flask_migrate.upgrade()
            framework = build_government(args.people, args.evidence)
            admin = create_user(email="admin@bench.example", password=PASSWORD, roles=(Role.ADMIN,))
            # The admin's authenticator app: the report pages ask for its code after the password.
            totp = pyotp.TOTP(pyotp.random_base32(32))
            enrol_totp(admin, totp.secret, totp.generate_otp(totp.timecode(datetime.now(UTC)) - 1))
            db.session.commit()
            year = current_fiscal_year()
            ministries = db.session.scalars(select(Agency).where(Agency.kind == AgencyKind.MINISTRY)).all()
            counts = {
                m.id: db.session.scalar(
                    select(func.count())
                    .select_from(Person)
                    .join(Agency, Agency.id == Person.agency_id)
                    .where(Agency.path.startswith(m.path))
                )
                or 0
                for m in ministries
            }
            ministry = max(ministries, key=lambda m: counts[m.id])
            it, everyone = PopulationFilter(), PopulationFilter(Population.ALL)
            heads = {p.label: agency_coverage(ministry, year, framework, p).figures.headcount for p in (it, everyone)}
            print(
                f"ministry {ministry.code} ({ministry.name_en}): {counts[ministry.id]:,} people, "
                f"{heads['it']:,} IT, fiscal year {year}"
            )

            def measure(label: str, work: Callable[[], bytes | object], size: bool = True) -> None:
                produced: list[int] = []

                def run() -> None:
                    out = work()
                    produced.append(len(out) if isinstance(out, bytes | str) else 0)

                values = timed(run, args.repeat)
                results.append((label, values, produced[-1] if size else None))
                db.session.rollback()

            with app.test_request_context("/"):
                for population in (it, everyone):
                    name = population.label
                    measure(
                        f"dashboard figures ({name})",
                        lambda p=population: agency_report(ministry, year, framework, p),
                        False,
                    )
                    measure(
                        f"XLSX export ({name})",
                        lambda p=population: report_xlsx(agency_report(ministry, year, framework, p)),
                    )
                    measure(
                        f"PDF export ({name})",
                        lambda p=population: report_pdf(agency_report(ministry, year, framework, p)),
                    )
                    measure(
                        f"CSV export ({name})",
                        lambda p=population: report_csv(agency_report(ministry, year, framework, p)),
                    )
                measure(
                    "people XLSX (IT, with names)",
                    lambda: report_xlsx(people_report(ministry, year, framework, it)),
                )

            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert match, "no CSRF token on /login"
            response = client.post(
                "/login", data={"email": "admin@bench.example", "password": PASSWORD, "csrf_token": match.group(1)}
            )
            assert response.status_code == 302, response.status_code
            page = client.get("/account/second-factor").get_data(as_text=True)
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert match, "no CSRF token on the second-factor page"
            response = client.post("/account/second-factor", data={"code": totp.now(), "csrf_token": match.group(1)})
            assert response.status_code == 302, response.status_code
            for population in (it, everyone):

                def get(p: PopulationFilter = population) -> bytes:
                    response = client.get(f"/reports/agencies/{ministry.code}?fy={year}&population={p.label}")
                    assert response.status_code == 200, response.status_code
                    return response.data

                measure(f"dashboard page, HTTP ({population.label})", get)
            measure(
                "XLSX export, HTTP (it)",
                lambda: client.get(f"/reports/agencies/{ministry.code}/export.xlsx?fy={year}").data,
            )

    print(f"report benchmark: {args.people:,} people, {args.evidence:,} evidence rows, PostgreSQL, {args.repeat} runs")
    for label, values, size in results:
        extra = f"   {size / 1024:8.0f} KiB" if size else ""
        print(
            f"  {label:34} median {statistics.median(values) * 1000:8.1f} ms   max {max(values) * 1000:8.1f} ms{extra}"
        )


if __name__ == "__main__":
    main()
