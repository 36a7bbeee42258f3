"""Benchmark: the learner portal's main pages at civil-service scale, on PostgreSQL under gunicorn.

Builds the demo government with N people (default 400,000), C published courses
(default 200) aligned with the standard, E enrolments spread over the people (default
400,000) and attainment for the learners who sign in; then L learners (default 40)
sign in and concurrent clients on loopback fetch the dashboard, catalogue pages (with
and without filters) and course pages. Prints p50 and p95 per page.

    .venv/bin/python bench/portal.py [--people 400000] [--courses 200] [--clients 4] [--workers 4]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from lrs_common import DEFAULT_POSTGRES, free_port, fresh_postgres, gunicorn

PASSWORD = "bench password 2569"


def build(args: argparse.Namespace, database_url: str) -> tuple[list[str], list[str]]:
    """The data; return the learners' e-mail addresses and the course codes."""
    import flask_migrate
    from sqlalchemy import select

    from academy import create_app
    from academy.auth.models import Role
    from academy.auth.services import create_user
    from academy.config import Settings
    from academy.db import bulk_insert, db, insert_ignoring_duplicates
    from academy.org.demo import build_demo
    from academy.org.models import Person, PersonnelGroup
    from competencies.models import Alignment, Attainment
    from competencies.services.frameworks import leaf_competencies, seed_standard
    from courses.models import (
        Choice,
        Course,
        CourseFormat,
        CourseStatus,
        Enrolment,
        EnrolmentSource,
        EnrolmentStatus,
        Lesson,
        Module,
        Question,
        QuestionKind,
        Quiz,
    )

    settings = Settings.from_environ(
        {"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url, "ACADEMY_BASE_URL": "https://academy.go.th"}
    )
    app = create_app(settings=settings)
    rng = random.Random(2569)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.monotonic()
        build_demo(people=args.people, base_url="https://academy.go.th", password=None)
        framework = seed_standard()
        db.session.commit()
        print(f"built {args.people:,} people in {time.monotonic() - started:.0f} s", flush=True)

        started = time.monotonic()
        competencies = leaf_competencies(framework)
        codes = []
        for number in range(args.courses):
            code = f"BENCH{number:03d}"
            area = competencies[number % len(competencies)]
            course = Course(
                code=code,
                title_th=f"หลักสูตร{area.name_th} รุ่นที่ {number}",
                title_en=f"{area.name_en}, run {number}",
                description_th="หลักสูตรสำหรับทดสอบความเร็ว " * 5,
                description_en="A course for the benchmark. " * 5,
                provider=rng.choice(["สถาบันพัฒนาบุคลากรภาครัฐด้านดิจิทัล", "TDGA", "Thai MOOC"]),
                format=rng.choice(list(CourseFormat)),
                hours=Decimal(rng.choice(["1.5", "3.0", "6.0", "12.0"])),
                language=rng.choice(["th", "th", "en"]),
                status=CourseStatus.PUBLISHED,
                activity_iri=f"https://academy.go.th/courses/{code}",
            )
            for m in range(2):
                module = Module(position=m + 1, title_th=f"บทที่ {m + 1}", title_en=f"Chapter {m + 1}")
                module.lessons = [
                    Lesson(
                        position=n + 1, title_th=f"บทเรียน {n + 1}", title_en=f"Lesson {n + 1}", body_th="<p>เนื้อหา</p>"
                    )
                    for n in range(3)
                ]
                quiz = Quiz(position=4, title_th="แบบทดสอบ", title_en="Quiz")
                quiz.questions = [
                    Question(
                        position=q + 1,
                        kind=QuestionKind.SINGLE,
                        text_th=f"คำถาม {q + 1}",
                        text_en=f"Question {q + 1}",
                        choices=[
                            Choice(position=1, code="a", text_th="ก", text_en="A", correct=True),
                            Choice(position=2, code="b", text_th="ข", text_en="B"),
                        ],
                    )
                    for q in range(5)
                ]
                module.quizzes = [quiz]
                course.modules.append(module)
            db.session.add(course)
            db.session.flush()
            for competency in rng.sample(competencies, k=rng.randint(1, 3)):
                db.session.add(
                    Alignment(activity_id=course.activity_iri, competency_id=competency.id, level=rng.randint(1, 3))
                )
            codes.append(code)
        db.session.commit()
        course_ids = list(db.session.scalars(select(Course.id)))
        people = list(db.session.scalars(select(Person.id)))
        pairs = {(rng.choice(people), rng.choice(course_ids)) for _ in range(args.enrolments)}
        rows = []
        for person_id, course_id in sorted(pairs):
            status = rng.choice(list(EnrolmentStatus))
            rows.append(
                {
                    "person_id": person_id,
                    "course_id": course_id,
                    "registration": uuid.uuid4(),
                    "source": EnrolmentSource.SELF,
                    "status": status,
                    "progress": 100 if status is EnrolmentStatus.COMPLETED else rng.randrange(100),
                    "enrolled_at": datetime.now(UTC),
                }
            )
        bulk_insert(Enrolment, rows)
        db.session.commit()
        print(f"built {args.courses} courses and {args.enrolments:,} enrolments in {time.monotonic() - started:.0f} s")

        learners = db.session.scalars(
            select(Person).where(Person.personnel_group == PersonnelGroup.IT, Person.email.is_not(None)).limit(2000)
        ).all()
        emails = []
        for person in rng.sample(list(learners), k=args.learners):
            create_user(email=person.email, password=PASSWORD, roles=(Role.LEARNER,), person=person)
            for competency in rng.sample(competencies, k=8):
                db.session.execute(
                    insert_ignoring_duplicates(Attainment).values(
                        person_id=person.id,
                        competency_id=competency.id,
                        level=rng.randint(1, 3),
                        as_of=db.func.now(),
                        evidence_count=1,
                    )
                )
            emails.append(person.email)
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return emails, codes


def session_cookie(response: http.client.HTTPResponse) -> str:
    cookie = session_cookie_or_none(response)
    assert cookie, "no session cookie"
    return cookie


def _csrf_token(page: str, where: str) -> str:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert token, f"no CSRF token on {where}"
    return token.group(1)


def _request(
    port: int, method: str, path: str, cookie: str, body: str | None = None
) -> tuple[http.client.HTTPResponse, str]:
    """One request on a fresh connection: the response and its body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response, text


def sign_in(port: int, email: str, totp: Any = None) -> str:
    """Sign in on the login page; with an authenticator (pyotp.TOTP), pass the second factor too."""
    response, page = _request(port, "GET", "/login", "")
    cookie = session_cookie(response)
    body = urlencode({"email": email, "password": PASSWORD, "csrf_token": _csrf_token(page, "/login")})
    response, _ = _request(port, "POST", "/login", cookie, body)
    if response.status != 302:
        raise SystemExit(f"sign-in of {email} failed: {response.status}")
    cookie = session_cookie(response)
    if totp is not None:  # HR officers and admins: the code of their authenticator app
        _, page = _request(port, "GET", "/account/second-factor", cookie)
        body = urlencode({"code": totp.now(), "csrf_token": _csrf_token(page, "/account/second-factor")})
        response, _ = _request(port, "POST", "/account/second-factor", cookie, body)
        if response.status != 302:
            raise SystemExit(f"second factor of {email} failed: {response.status}")
        cookie = session_cookie_or_none(response) or cookie
    return cookie


def session_cookie_or_none(response: http.client.HTTPResponse) -> str | None:
    cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
    return next((c for c in cookies if c.startswith("session=")), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--enrolments", type=int, default=400_000)
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--requests", type=int, default=400, help="requests per page kind")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    os.environ["ACADEMY_LOGIN_RATE_LIMIT"] = "10000 per minute"  # every learner signs in from 127.0.0.1
    with fresh_postgres(args.postgres) as database_url:
        emails, codes = build(args, database_url)
        port = free_port()
        timings: dict[str, list[float]] = {}
        lock = threading.Lock()
        with gunicorn(database_url, args.workers, port):
            cookies = [sign_in(port, email) for email in emails]

            def pages(rng: random.Random) -> dict[str, str]:
                filters = {"area": rng.choice(["DL", "DG", "DT", "CS"]), "language": "th"}
                return {
                    "dashboard": "/learn",
                    "catalogue": f"/courses?page={rng.randint(1, args.courses // 12)}",
                    "catalogue+filters": f"/courses?{urlencode(filters)}",
                    "catalogue+search": "/courses?" + urlencode({"q": "ดิจิทัล"}),
                    "course page": f"/courses/{rng.choice(codes)}",
                }

            def client(seed: int) -> None:
                rng = random.Random(seed)
                for _ in range(args.requests // args.clients):
                    cookie = rng.choice(cookies)
                    for kind, path in pages(rng).items():
                        begin = time.perf_counter()
                        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                        connection.request("GET", path, headers={"Cookie": cookie})
                        response = connection.getresponse()
                        body = response.read()
                        connection.close()
                        elapsed = time.perf_counter() - begin
                        if response.status != 200:
                            raise SystemExit(f"{kind} {path}: {response.status} {body[:200]!r}")
                        with lock:
                            timings.setdefault(kind, []).append(elapsed)

            for warm_up in range(2):  # every worker loads its templates and catalogue first
                client(100 + warm_up)
            timings.clear()
            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    print(
        f"portal pages: {args.people:,} people, {args.courses} courses, {args.enrolments:,} enrolments, "
        f"{args.clients} concurrent clients, {args.workers} gunicorn workers"
    )
    for kind, values in timings.items():
        values.sort()
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"  {kind:18} p50 {statistics.median(values) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
            f"({len(values)} requests)"
        )


if __name__ == "__main__":
    main()
