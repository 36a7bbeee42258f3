"""Sign-in limits: by account and by (address, account); shared between processes through Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import User
from tests.support.app import PASSWORD, csrf_token
from tests.support.redis import REDIS_URL, redis_prefix_or_skip

ROOT = Path(__file__).resolve().parents[3]


def attempt(client: FlaskClient, email: str, address: str, password: str = "wrong-wrong") -> int:
    token = csrf_token(client, "/login")
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code


def test_failures_at_one_account_do_not_block_another_from_the_same_address(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    a, b = make_user(), make_user()
    codes = [attempt(client, a.email, "10.1.1.1") for _ in range(11)]
    assert codes == [401] * 10 + [429]
    # Behind one NAT: a colleague (account B) still signs in from the same address.
    assert attempt(client, b.email, "10.1.1.1") == 401
    assert attempt(client, b.email, "10.1.1.1", PASSWORD) == 302


def test_the_owner_elsewhere_is_not_locked_out_by_one_address(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    user = make_user()
    assert [attempt(client, user.email, "10.1.1.1") for _ in range(11)][-1] == 429
    assert attempt(client, user.email, "10.2.2.2", PASSWORD) == 302


def test_an_account_is_limited_from_all_addresses_together(
    app: Flask, monkeypatch: pytest.MonkeyPatch, client: FlaskClient, make_user: Callable[..., User]
) -> None:
    assert app.config["ACADEMY_LOGIN_ACCOUNT_RATE_LIMIT"] == "30 per minute"
    monkeypatch.setitem(app.config, "ACADEMY_LOGIN_ACCOUNT_RATE_LIMIT", "3 per minute")
    user = make_user()
    codes = [attempt(client, user.email, f"10.0.0.{n}") for n in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert attempt(client, user.email, "10.0.0.9", PASSWORD) == 429  # even the right password waits


def test_successful_sign_ins_do_not_count(
    app: Flask, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User]
) -> None:
    monkeypatch.setitem(app.config, "ACADEMY_LOGIN_RATE_LIMIT", "2 per minute")
    monkeypatch.setitem(app.config, "ACADEMY_LOGIN_ACCOUNT_RATE_LIMIT", "2 per minute")
    user = make_user()
    # A morning's worth of sign-ins from one agency address, on fresh browsers.
    assert [attempt(app.test_client(), user.email, "10.3.3.3", PASSWORD) for _ in range(4)] == [302] * 4


# --- two processes, one Redis ------------------------------------------------------------------

_WORKER = textwrap.dedent(
    """
    import json, sys
    import flask_migrate
    from academy import create_app
    from academy.config import Settings

    database_url, storage, prefix, attempts, migrate = sys.argv[1:]
    settings = Settings.from_environ({
        "ACADEMY_ENV": "testing",
        "ACADEMY_DATABASE_URL": database_url,
        "ACADEMY_SECRET_KEY": "k" * 40,
        "ACADEMY_RATELIMIT_STORAGE_URI": storage,
        "ACADEMY_RATELIMIT_KEY_PREFIX": prefix,
        "ACADEMY_LOGIN_RATE_LIMIT": "3 per minute",
    })
    app = create_app({"WTF_CSRF_ENABLED": False}, settings=settings)
    if migrate == "yes":
        with app.app_context():
            flask_migrate.upgrade()
    client = app.test_client()
    form = {"email": "somebody@example.go.th", "password": "wrong-wrong"}
    print(json.dumps([client.post("/login", data=form).status_code for _ in range(int(attempts))]))
    """
)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    yield from redis_prefix_or_skip()


def run_worker(database_url: str, storage: str, prefix: str, attempts: int, migrate: bool) -> list[int]:
    """One app instance in a process of its own (as one gunicorn worker) making failed sign-ins."""
    done = subprocess.run(
        [sys.executable, "-c", _WORKER, database_url, storage, prefix, str(attempts), "yes" if migrate else "no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.own_database
def test_a_limit_counts_across_processes_sharing_redis(tmp_path: Path, redis_prefix: str) -> None:
    database_url = f"sqlite:///{tmp_path / 'limits.sqlite3'}"
    assert run_worker(database_url, REDIS_URL, redis_prefix, 2, migrate=True) == [401, 401]
    # What production now refuses: with memory:// a process counts on its own, blind to the first's.
    assert run_worker(database_url, "memory://", redis_prefix, 2, migrate=False) == [401, 401]
    # A second worker on the same Redis knows of the first one's two failures: its second try is the fourth.
    assert run_worker(database_url, REDIS_URL, redis_prefix, 2, migrate=False) == [401, 429]
