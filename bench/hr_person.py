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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyotp
from lrs_common import DEFAULT_POSTGRES, free_port, fresh_postgres, gunicorn, make_statement
from portal import PASSWORD, sign_in

BASE_URL = "https://academy.go.th"
PROVIDER_COURSES = 60


def _statement(
    rng: random.Random, actor: dict[str, Any], iri: str, name: str, verb: str, when: datetime
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": actor,
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": iri, "definition": {"name": {"th-TH": name, "en-US": name}}},
        "timestamp": when.isoformat().replace("+00:00", "Z"),
    }
    if verb in ("completed", "passed"):
        value["result"] = {"completion": True, "success": True, "duration": f"PT{rng.randrange(1, 6)}H"}
    return value


def build(args: argparse.Namespace, database_url: str) -> tuple[str, str, pyotp.TOTP]:
    """The data; return the HR officer's e-mail address and the person's public id."""
    import flask_migrate
    from sqlalchemy import select

    from academy import create_app
    from academy.auth.models import Role
    from academy.auth.second_factor import enrol_totp
    from academy.auth.services import create_user
    from academy.config import Settings
    from academy.db import bulk_insert, db
    from academy.org.demo import build_demo
    from academy.org.models import Person, PersonnelGroup
    from academy.org.services import platform_account_key
    from competencies.models import Alignment
    from competencies.services.frameworks import leaf_competencies, seed_standard
    from courses.models import Course, CourseFormat, CourseStatus, Enrolment, EnrolmentSource, EnrolmentStatus
    from lrs import XapiVersion, store_statements
    from lrs.clients import create_client

    settings = Settings.from_environ(
        {
            "ACADEMY_ENV": "testing",
            "ACADEMY_DATABASE_URL": database_url,
            "ACADEMY_BASE_URL": BASE_URL,
            # The server's key: the officer's authenticator secret is sealed with it.
            "ACADEMY_SECRET_KEY": os.environ["ACADEMY_SECRET_KEY"],
        }
    )
    app = create_app(settings=settings)
    rng = random.Random(2569)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.monotonic()
        build_demo(people=args.people, base_url=BASE_URL, password=None)
        framework = seed_standard()
        competencies = leaf_competencies(framework)
        db.session.commit()
        print(f"built {args.people:,} people in {time.monotonic() - started:.0f} s", flush=True)

        started = time.monotonic()
        provider = create_client("Thai MOOC", ["all"])
        courses = []
        for number in range(args.courses):
            area = competencies[number % len(competencies)]
            code = f"BENCH{number:03d}"
            course = Course(
                code=code,
                title_th=f"หลักสูตร{area.name_th} รุ่นที่ {number}",
                title_en=f"{area.name_en}, run {number}",
                provider="สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล",
                format=CourseFormat.ONLINE,
                hours=Decimal("3.0"),
                language="th",
                status=CourseStatus.PUBLISHED,
                activity_iri=f"{BASE_URL}/courses/{code}",
            )
            db.session.add(course)
            courses.append(course)
        db.session.flush()
        for course in courses:
            db.session.add(
                Alignment(activity_id=course.activity_iri, competency_id=rng.choice(competencies).id, level=2)
            )
        provider_iris = [f"https://thaimooc.example/courses/{n}" for n in range(PROVIDER_COURSES)]
        for iri in provider_iris:
            db.session.add(
                Alignment(
                    activity_id=iri,
                    competency_id=rng.choice(competencies).id,
                    level=rng.randint(1, 3),
                    owner_client_id=provider.client.id,
                )
            )
        person = db.session.scalars(
            select(Person).where(Person.personnel_group == PersonnelGroup.IT).order_by(Person.id).limit(1)
        ).one()
        today = date.today()
        rows = []
        for number, course in enumerate(rng.sample(courses, k=min(args.enrolments, len(courses)))):
            status = rng.choice(list(EnrolmentStatus))
            assigned = number % 2 == 0
            rows.append(
                {
                    "person_id": person.id,
                    "course_id": course.id,
                    "registration": uuid.uuid4(),
                    "source": EnrolmentSource.ASSIGNED if assigned else EnrolmentSource.SELF,
                    "fiscal_year": 2570 if assigned else None,
                    "due_on": today + timedelta(days=rng.randint(-30, 90)) if assigned else None,
                    "status": status,
                    "progress": 100 if status is EnrolmentStatus.COMPLETED else rng.randrange(100),
                    "enrolled_at": datetime.now(UTC),
                    "completed_at": datetime.now(UTC) - timedelta(days=rng.randrange(700))
                    if status is EnrolmentStatus.COMPLETED
                    else None,
                }
            )
        bulk_insert(Enrolment, rows)
        db.session.commit()

        actor = {"objectType": "Agent", "account": {"homePage": BASE_URL, "name": str(person.public_id)}}
        assert platform_account_key(BASE_URL, person.public_id)  # the person's identifier, as the demo made it
        authority = {"objectType": "Agent", "name": "Thai MOOC", "mbox": "mailto:lrs@thaimooc.example"}
        statements = []
        for _ in range(args.statements):
            when = datetime.now(UTC) - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            if rng.random() < 0.3:
                n = rng.randrange(PROVIDER_COURSES)
                verb = rng.choice(["completed", "passed", "experienced", "attempted"])
                statements.append(_statement(rng, actor, provider_iris[n], f"วิชา Thai MOOC {n}", verb, when))
            else:
                course = rng.choice(courses)
                verb = rng.choice(["experienced", "experienced", "attempted", "completed", "passed"])
                statements.append(
                    _statement(rng, actor, f"{course.activity_iri}/lesson/{rng.randrange(6)}", "บทเรียน", verb, when)
                )
        statements += [make_statement(rng, people=5000) for _ in range(args.noise)]
        rng.shuffle(statements)
        for first in range(0, len(statements), 500):
            store_statements(
                statements[first : first + 500],
                version=XapiVersion.V2,
                authority=authority,
                client=provider.client,
            )
            db.session.commit()
        officer = f"hr.bench@{person.agency.code}.go.th"
        hr = create_user(email=officer, password=PASSWORD, roles=(Role.HR_OFFICER,), agencies=(person.agency,))
        totp = pyotp.TOTP(pyotp.random_base32(32))  # HR officers pass a second factor after the password
        enrol_totp(hr, totp.secret, totp.generate_otp(totp.timecode(datetime.now(UTC)) - 1))
        db.session.commit()
        print(
            f"built {args.courses} courses, {len(rows)} enrolments and {len(statements):,} statements "
            f"({args.statements:,} of the person) in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        public_id = str(person.public_id)
        db.engine.dispose()
    return officer, public_id, totp


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
    os.environ["ACADEMY_SECRET_KEY"] = "bench-" + uuid.uuid4().hex  # the build's and the server's
    with fresh_postgres(args.postgres) as database_url:
        officer, public_id, totp = build(args, database_url)
        port = free_port()
        timings: list[float] = []
        lock = threading.Lock()
        path = f"/people/{public_id}/record"
        with gunicorn(database_url, args.workers, port):
            cookie = sign_in(port, officer, totp)
            sizes = []

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

            client(args.workers * 3)  # every worker loads its templates first
            timings.clear()
            threads = [
                threading.Thread(target=client, args=(args.requests // args.clients,)) for _ in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"HR person page: {args.enrolments} enrolments, {args.statements:,} statements of the person, "
        f"{args.clients} concurrent clients, {args.workers} gunicorn workers, page {sizes[-1] / 1024:.0f} KiB"
    )
    print(f"  p50 {statistics.median(timings) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   ({len(timings)} requests)")


if __name__ == "__main__":
    main()
