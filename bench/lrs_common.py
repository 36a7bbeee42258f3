"""Shared pieces of the LRS benchmarks: a fresh database, a gunicorn server, varied statements."""

from __future__ import annotations

import base64
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: Threads of each gunicorn worker (gthread), as in production.
THREADS = 8
VERBS = ["completed", "passed", "failed", "attempted", "experienced", "answered", "launched", "progressed"]


@contextmanager
def fresh_postgres(server_url: str) -> Iterator[str]:
    server = make_url(server_url)
    name = f"academy_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate_and_create_client(database_url: str, *, platform: bool = False) -> str:
    """Apply the migrations and return the Basic auth header of a new all-scope client.

    A ``platform`` client stands for the platform's own writers (the player, the cmi5 LMS):
    the projections believe its statements about our courses (README, Trust model).
    """
    import flask_migrate

    from academy import create_app
    from academy.config import Settings
    from academy.extensions import db
    from lrs.clients import create_client

    app = create_app(settings=Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_DATABASE_URL": database_url}))
    with app.app_context():
        flask_migrate.upgrade()
        new = create_client("bench", ["all"])
        new.client.platform = platform
        credentials = f"{new.client.key}:{new.secret}"
        db.session.commit()
        db.engine.dispose()
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    database_url: str,
    workers: int,
    port: int,
    threads: int = THREADS,
    app: str = "wsgi:app",
    secret_key: str | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A gunicorn server of ``app`` (the platform's by default): gthread workers of ``threads`` threads each.

    ``secret_key``: the app's (a second factor enrolled beforehand is encrypted with it); a random one if None.
    """
    env = {
        **os.environ,
        "ACADEMY_DATABASE_URL": database_url,
        "ACADEMY_ENV": "production",
        "ACADEMY_SECRET_KEY": secret_key or os.environ.get("ACADEMY_SECRET_KEY") or "bench-" + uuid.uuid4().hex,
        # Production's other keys: the citizen-ID hashes' and the credentials' signing key (fresh each run).
        "ACADEMY_IDENTITY_KEY": os.environ.get("ACADEMY_IDENTITY_KEY", "bench-identity-" + uuid.uuid4().hex),
        "ACADEMY_CREDENTIAL_KEY": os.environ.get(
            "ACADEMY_CREDENTIAL_KEY", "bench=" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        ),
        "ACADEMY_BASE_URL": f"http://127.0.0.1:{port}",
        # Production counts rate limits in a shared store; the bench's own prefix keeps them apart.
        "ACADEMY_RATELIMIT_STORAGE_URI": os.environ.get("ACADEMY_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379"),
        "ACADEMY_RATELIMIT_KEY_PREFIX": "bench-" + uuid.uuid4().hex[:8],
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            # Threaded workers, as in production (README): a sync worker stalls on idle keep-alive connections.
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []),
            app,
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode} (its log above)")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def make_statement(rng: random.Random, people: int = 5000, activities: int = 200) -> dict[str, Any]:
    """A realistic statement: one of many learners, verbs, courses; context, result, registration."""
    learner = rng.randrange(people)
    course = rng.randrange(activities)
    verb = rng.choice(VERBS)
    statement: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {
            "objectType": "Agent",
            "name": f"Learner {learner}",
            "account": {"homePage": "https://academy.example.go.th", "name": f"learner-{learner}"},
        },
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {
            "objectType": "Activity",
            "id": f"https://academy.example.go.th/courses/{course}/lesson/{rng.randrange(12)}",
            "definition": {
                "name": {"en-US": f"Lesson of course {course}", "th-TH": f"บทเรียน {course}"},
                "type": "http://adlnet.gov/expapi/activities/lesson",
            },
        },
        "context": {
            "registration": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "platform": "E-Workforce Academy",
            "language": "th-TH",
            "contextActivities": {
                "parent": [{"id": f"https://academy.example.go.th/courses/{course}"}],
                "category": [{"id": "https://academy.example.go.th/standard/digital-literacy"}],
            },
        },
        "timestamp": "2026-11-22T10:00:00.000Z",
    }
    if verb in ("passed", "failed", "completed", "answered"):
        statement["result"] = {
            "score": {"scaled": round(rng.random(), 2)},
            "success": verb != "failed",
            "completion": True,
            "duration": f"PT{rng.randrange(1, 3600)}S",
        }
    return statement
