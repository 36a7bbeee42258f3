"""Benchmark: the learner portal's main pages at civil-service scale, on PostgreSQL under gunicorn.

Builds the demo government with N people (default 400,000), C published courses
(default 200) aligned with the standard, E enrolments spread over the people (default
400,000) and attainment for the learners who sign in; then L learners (default 40)
sign in and concurrent clients on loopback fetch the dashboard, catalogue pages (with
and without filters) and course pages. Prints p50 and p95 per page.

    .venv/bin/python bench/portal.py [--people 400000] [--courses 200] [--clients 4] [--workers 4]
        [--database URL]

``--database URL`` builds in that (existing, empty) database on first use and keeps it, then
measures it again on later runs without building.
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
from contextlib import nullcontext
from urllib.parse import urlencode

import pyotp
from builders import PASSWORD, add_courses, add_enrolments, add_learners
from lrs_common import DEFAULT_POSTGRES, free_port, fresh_postgres, gunicorn


def build(args: argparse.Namespace, database_url: str) -> tuple[list[str], list[str]]:
    """The data; return the learners' e-mail addresses and the course codes."""
    import flask_migrate

    from academy import create_app
    from academy.config import Settings
    from academy.db import db
    from academy.org.demo import build_demo
    from competencies.services.frameworks import seed_standard

    settings = Settings.from_environ(
        {"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url, "ACADEMY_BASE_URL": "https://academy.go.th"}
    )
    app = create_app(settings=settings)
    rng = random.Random(2569)
    with app.app_context():
        flask_migrate.upgrade()
        started = time.monotonic()
        build_demo(people=args.people, base_url="https://academy.go.th", password=None)
        seed_standard()
        db.session.commit()
        print(f"built {args.people:,} people in {time.monotonic() - started:.0f} s", flush=True)

        started = time.monotonic()
        codes = add_courses(rng, args.courses, "https://academy.go.th")
        add_enrolments(rng, args.enrolments)
        print(f"built {args.courses} courses and {args.enrolments:,} enrolments in {time.monotonic() - started:.0f} s")
        emails = add_learners(rng, args.learners)
        db.engine.dispose()
    return emails, codes


def kept(database_url: str) -> tuple[list[str], list[str]] | None:
    """The learners and course codes of a database built by an earlier run, or None if it is empty."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        built = connection.scalar(text("SELECT to_regclass('courses') IS NOT NULL"))
        codes = (
            list(connection.scalars(text("SELECT code FROM courses WHERE code LIKE 'BENCH%' ORDER BY code")))
            if built
            else []
        )
        emails = (
            list(connection.scalars(text("SELECT email FROM users WHERE person_id IS NOT NULL ORDER BY id")))
            if codes
            else []
        )
    engine.dispose()
    return (emails, codes) if codes and emails else None


def session_cookie(response: http.client.HTTPResponse) -> str:
    cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
    return next(c for c in cookies if c.startswith("session="))


def _csrf_token(page: str) -> str:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert token, "no CSRF token on the page"
    return token.group(1)


def _request(port: int, method: str, path: str, cookie: str | None, body: str | None = None) -> tuple[int, str, str]:
    """One request on a fresh connection: (status, page, session cookie: the new one or the one sent)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie") or []]
    return response.status, page, next((c for c in cookies if c.startswith("session=")), cookie or "")


def sign_in(port: int, email: str, totp: pyotp.TOTP | None = None) -> str:
    """Sign in with the bench password (and, for an officer, the authenticator's code); the session cookie."""
    _status, page, cookie = _request(port, "GET", "/login", None)
    body = urlencode({"email": email, "password": PASSWORD, "csrf_token": _csrf_token(page)})
    status, _page, cookie = _request(port, "POST", "/login", cookie, body)
    if status != 302:
        raise SystemExit(f"sign-in of {email} failed: {status}")
    if totp is not None:
        _status, page, cookie = _request(port, "GET", "/account/second-factor", cookie)
        body = urlencode({"code": totp.now(), "csrf_token": _csrf_token(page)})
        status, _page, cookie = _request(port, "POST", "/account/second-factor", cookie, body)
        if status != 302:
            raise SystemExit(f"second factor of {email} failed: {status}")
    return cookie


def page_paths(rng: random.Random, codes: list[str]) -> dict[str, str]:
    """One path of each page kind measured: dashboard, catalogue (a page, filters, a search), a course."""
    filters = {"area": rng.choice(["DL", "DG", "DT", "CS"]), "language": "th"}
    return {
        "dashboard": "/learn",
        "catalogue": f"/courses?page={rng.randint(1, max(len(codes) // 12, 1))}",
        "catalogue+filters": f"/courses?{urlencode(filters)}",
        "catalogue+search": "/courses?" + urlencode({"q": "ดิจิทัล"}),
        "course page": f"/courses/{rng.choice(codes)}",
    }


def measure_pages(
    port: int, cookies: list[str], codes: list[str], *, requests: int, clients: int
) -> dict[str, list[float]]:
    """Concurrent clients fetch the dashboard, catalogue pages and course pages; each kind's timings (s)."""
    timings: dict[str, list[float]] = {}
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(requests // clients):
            cookie = rng.choice(cookies)
            for kind, path in page_paths(rng, codes).items():
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
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.95) - 1, 0)]


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
    parser.add_argument("--database", help="an existing database: built on first use, kept, measured again later")
    args = parser.parse_args()
    os.environ["ACADEMY_LOGIN_RATE_LIMIT"] = "10000 per minute"  # every learner signs in from 127.0.0.1
    with nullcontext(args.database) if args.database else fresh_postgres(args.postgres) as database_url:
        found = kept(database_url) if args.database else None
        emails, codes = found or build(args, database_url)
        port = free_port()
        with gunicorn(database_url, args.workers, port):
            cookies = [sign_in(port, email) for email in emails]
            timings = measure_pages(port, cookies, codes, requests=args.requests, clients=args.clients)
    data = (
        f"the kept database {args.database.rsplit('/', 1)[-1]}"
        if found
        else f"{args.people:,} people, {args.courses} courses, {args.enrolments:,} enrolments"
    )
    print(
        f"portal pages: {data}, load {' '.join(f'{value:.2f}' for value in os.getloadavg())}, "
        f"{args.clients} concurrent clients, {args.workers} gunicorn workers"
    )
    for kind, values in timings.items():
        print(
            f"  {kind:18} p50 {statistics.median(values) * 1000:6.1f} ms   p95 {p95(values) * 1000:6.1f} ms   "
            f"({len(values)} requests)"
        )


if __name__ == "__main__":
    main()
