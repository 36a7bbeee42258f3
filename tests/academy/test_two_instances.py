"""Two gunicorn instances behind one address behave as one (issue 17's stateless web tier).

Each instance is a real gunicorn process on its own port of 127.0.0.1 (a browser's cookies
for 127.0.0.1 go to both, as behind one load balancer), on the same database and the same
Redis for the rate-limit counters. Sessions are rows of that database (academy.auth.session_store):
a session started on one instance is valid on the other, and ending it on one ends it on both.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import requests

from academy import create_app
from academy.auth.models import Role
from academy.auth.services import create_user
from academy.db import db
from academy.org.demo import ensure_position_lines
from academy.org.models import AgencyKind
from academy.org.services import create_agency
from api.rest.tokens import create_token
from tests.support.app import PASSWORD, make_settings, postgres_database
from tests.support.redis import REDIS_URL, redis_prefix_or_skip

pytestmark = pytest.mark.own_database
ROOT = Path(__file__).resolve().parents[2]
EMAIL = "two.instances@example.go.th"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    yield from redis_prefix_or_skip()


@pytest.fixture
def instances(tmp_path: Path, redis_prefix: str) -> Iterator[tuple[list[str], str]]:
    """Two gunicorn instances on one database and one Redis; a learner and an API token (returned)."""
    server_url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    databases = postgres_database(server_url) if server_url else iter([f"sqlite:///{tmp_path / 'two.sqlite3'}"])
    database_url = next(databases)
    ports = [_free_port(), _free_port()]
    environ = {
        "ACADEMY_ENV": "testing",
        "ACADEMY_DATABASE_URL": database_url,
        "ACADEMY_SECRET_KEY": "two-instances-share-this-secret-key-0123456789",
        "ACADEMY_BASE_URL": f"http://127.0.0.1:{ports[0]}",
        "ACADEMY_RATELIMIT_STORAGE_URI": REDIS_URL,
        "ACADEMY_RATELIMIT_KEY_PREFIX": redis_prefix,
        # A fixed window: per minute, five calls straddled a minute's end on a loaded machine.
        "ACADEMY_API_RATE_LIMIT": "4 per hour",
    }
    app = create_app(settings=make_settings(database_url, **{k: v for k, v in environ.items() if k != "ACADEMY_ENV"}))
    with app.app_context():
        flask_migrate.upgrade()
        ensure_position_lines()
        agency = create_agency(code="11", name_th="กระทรวงทดสอบ", name_en="Test Ministry", kind=AgencyKind.MINISTRY)
        create_user(email=EMAIL, password=PASSWORD, roles=[Role.LEARNER])
        secret = create_token(agency, "DPIS", created_by="test").secret
        db.session.commit()
        db.engine.dispose()
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env={**os.environ, **environ},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, server in zip(urls, servers, strict=True):
            for _ in range(300):
                try:
                    requests.get(f"{url}/healthz", timeout=5)
                    break
                except requests.RequestException:  # not listening yet, or still loading the app
                    assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                    time.sleep(0.1)
        yield urls, secret
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            if server.stderr:
                server.stderr.close()
        next(databases, None)  # drops the PostgreSQL database


def _csrf(browser: requests.Session, url: str) -> str:
    page = browser.get(url, timeout=10).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def _sign_in(browser: requests.Session, base: str) -> None:
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": _csrf(browser, f"{base}/login")}
    response = browser.post(f"{base}/login", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def _signed_in(browser: requests.Session, base: str) -> bool:
    response = browser.get(f"{base}/account/sessions", allow_redirects=False, timeout=10)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_session_started_on_one_instance_is_valid_and_ended_on_the_other(
    instances: tuple[list[str], str],
) -> None:
    (first, second), _ = instances
    phone, laptop = requests.Session(), requests.Session()
    _sign_in(phone, first)
    assert _signed_in(phone, second)  # the other instance knows the session
    _sign_in(laptop, second)
    assert _signed_in(laptop, first)
    # "Sign out everywhere" on one instance ends the phone's session on both.
    token = _csrf(laptop, f"{second}/account/sessions")
    ended = laptop.post(f"{second}/account/sessions/end-all", data={"csrf_token": token}, timeout=10)
    assert ended.status_code == 200
    assert not _signed_in(phone, first) and not _signed_in(phone, second)


def test_a_rate_limit_counts_across_both_instances(instances: tuple[list[str], str]) -> None:
    (first, second), secret = instances
    headers = {"Authorization": f"Bearer {secret}"}
    answers = [
        requests.get(f"{base}/api/v1/people", headers=headers, timeout=10).status_code
        for base in (first, second, first, second, first)
    ]
    # "4 per hour" for the token, wherever its calls land: the fifth is refused.
    assert answers == [200, 200, 200, 200, 429]
