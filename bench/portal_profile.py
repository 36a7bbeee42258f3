"""Profile: the learner portal's pages in process, on a database bench/portal.py built and kept.

Signs learners in through the login form (Flask's test client, the app configured as under
gunicorn) and fetches each page kind of bench/portal.py N times; prints, per page kind, the SQL
statements per request (min / median / max), the request's thread CPU time (median / p95) and
wall time; ``--statements`` prints one request's SQL of each kind; ``--profile FILE`` writes a
cProfile (thread CPU clock) of the timed requests of ``--kind``.

    .venv/bin/python bench/portal_profile.py --database URL [--requests 200] [--profile FILE --kind dashboard]
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import os
import random
import statistics
import time
import uuid
from typing import Any

from lrs_common import ROOT  # noqa: F401  (puts the project on the path)
from portal import PASSWORD, _csrf_token, kept, p95, page_paths
from sqlalchemy import event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a database bench/portal.py --database built")
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind")
    parser.add_argument("--learners", type=int, default=10)
    parser.add_argument("--statements", action="store_true", help="print one request's SQL of each kind")
    parser.add_argument("--profile", help="write a cProfile of the timed requests of --kind to this file")
    parser.add_argument("--kind", default="dashboard")
    args = parser.parse_args()
    found = kept(args.database)
    assert found, f"{args.database}: not built (run bench/portal.py --database URL first)"
    emails, codes = found
    os.environ.update(
        {
            "ACADEMY_DATABASE_URL": args.database,
            "ACADEMY_ENV": "production",
            "ACADEMY_SECRET_KEY": "bench-" + uuid.uuid4().hex,
            "ACADEMY_IDENTITY_KEY": "bench-identity-" + uuid.uuid4().hex,
            "ACADEMY_CREDENTIAL_KEY": "bench=" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
            "ACADEMY_BASE_URL": "http://127.0.0.1:8000",
            "ACADEMY_RATELIMIT_STORAGE_URI": os.environ.get("ACADEMY_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379"),
            "ACADEMY_RATELIMIT_KEY_PREFIX": "bench-" + uuid.uuid4().hex[:8],
            "ACADEMY_LOGIN_RATE_LIMIT": "10000 per minute",
        }
    )
    from academy import create_app
    from academy.db import db

    app = create_app()
    clients = []
    for email in emails[: args.learners]:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": _csrf_token(page)})
        assert response.status_code == 302, response.status_code
        clients.append(client)
    rng = random.Random(7)

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    for _ in range(3):  # warm up: templates, translations, caches
        for client in clients:
            for path in page_paths(rng, codes).values():
                client.get(path)
    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    figures: dict[str, dict[str, list[float]]] = {}
    shown: set[str] = set()
    for _ in range(args.requests):
        client = rng.choice(clients)
        for kind, path in page_paths(rng, codes).items():
            statements.clear()
            profiling = profiler is not None and kind == args.kind
            if profiling:
                profiler.enable()  # type: ignore[union-attr]
            wall, cpu = time.perf_counter(), time.thread_time()
            response = client.get(path)
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            if profiling:
                profiler.disable()  # type: ignore[union-attr]
            assert response.status_code == 200, (kind, response.status_code)
            entry = figures.setdefault(kind, {"sql": [], "cpu": [], "wall": []})
            entry["sql"].append(len(statements))
            entry["cpu"].append(cpu)
            entry["wall"].append(wall)
            if args.statements and kind not in shown:
                shown.add(kind)
                print(f"{kind} {path}:")
                for number, statement in enumerate(statements, 1):
                    print(f"    [{number}] {' '.join(statement.split())[:300]}")
    one, five, _fifteen = os.getloadavg()
    print(f"in process, {len(clients)} learners, {args.requests} requests per page, load {one:.2f} {five:.2f}")
    for kind, entry in figures.items():
        sql = entry["sql"]
        print(
            f"  {kind:18} SQL {min(sql)}/{statistics.median(sql):.0f}/{max(sql)}   "
            f"CPU p50 {statistics.median(entry['cpu']) * 1000:5.1f} p95 {p95(entry['cpu']) * 1000:5.1f} ms   "
            f"wall p50 {statistics.median(entry['wall']) * 1000:5.1f} p95 {p95(entry['wall']) * 1000:5.1f} ms"
        )
    if profiler is not None:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
