"""Error answers: 503 with Retry-After while the database does not answer; a 500 page that always renders."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask_migrate
import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.test import TestResponse

from academy import create_app
from academy.auth.models import Role, User
from academy.auth.second_factor import enrol_totp
from academy.auth.services import create_user
from academy.db import is_unavailable
from academy.extensions import db
from lrs.clients import create_client
from tests.support.app import PASSWORD, csrf_token, make_settings
from tests.support.lrs import basic

#: A PostgreSQL URL on a loopback port where nothing listens.
CLOSED_PORT_URL = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3"}


def _signed_in_as(app: Flask) -> FlaskClient:
    """A client holding a signed-in session's cookie (whose row the session store then looks up)."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], secrets.token_urlsafe(32))
    return client


def _assert_unavailable_json(response: TestResponse) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "Service Unavailable"


def _assert_unavailable_page(response: TestResponse) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "<h1>503" in page
    assert "ไม่สามารถติดต่อฐานข้อมูลได้ในขณะนี้" in page  # the portal's own page, in Thai, not a bare one
    assert "Internal Server Error" not in page


@pytest.mark.own_database
def test_a_postgresql_server_that_refuses_connections_gets_503_with_retry_after() -> None:
    app = create_app(settings=make_settings(CLOSED_PORT_URL))
    client = app.test_client()
    _assert_unavailable_json(
        client.get("/xapi/statements", headers={**XAPI_HEADERS, "Authorization": basic("key", "secret")})
    )
    bearer = {"Authorization": "Bearer ewa_0123456789ab.secret"}  # well formed: the API looks it up
    _assert_unavailable_json(client.get("/api/v1/agencies", headers=bearer))
    # A page for a signed-in user: loading the user is the first thing that needs the database.
    _assert_unavailable_page(_signed_in_as(app).get("/"))
    assert client.get("/healthz").headers["Retry-After"] == "5"


@pytest.fixture
def postgres_app(database_url: str) -> Iterator[Flask]:
    """An app on the suite's PostgreSQL database with routes that lose their connection mid-request."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (ACADEMY_TEST_DATABASE_URL)")
    app = create_app(settings=make_settings(database_url))
    admin = create_engine(make_url(database_url), isolation_level="AUTOCOMMIT")

    def lose_the_connection() -> str:
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        with admin.connect() as connection:  # what a restart does to every backend
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.scalar(text("SELECT 1"))
        return "unreachable"

    app.add_url_rule("/xapi/lose-connection", "xapi_lose", lose_the_connection)
    app.add_url_rule("/lose-connection", "page_lose", lose_the_connection)
    yield app
    admin.dispose()
    with app.app_context():
        db.engine.dispose()


@pytest.mark.own_database
def test_a_connection_terminated_mid_request_gets_503_then_the_next_request_works(postgres_app: Flask) -> None:
    client = postgres_app.test_client()
    _assert_unavailable_json(client.get("/xapi/lose-connection"))
    _assert_unavailable_page(client.get("/lose-connection"))
    assert client.get("/healthz").status_code == 200  # the pool let the dead connections go


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    """An app on a SQLite file of its own, migrated, that waits for a lock only 0.2 s."""
    path = tmp_path / "errors.sqlite3"
    app = create_app(
        settings=make_settings(f"sqlite:///{path}", ACADEMY_SQLITE_BUSY_TIMEOUT="0.2"),
        config_override={"PROPAGATE_EXCEPTIONS": False},
    )
    with app.app_context():
        flask_migrate.upgrade()
    yield app, path
    with app.app_context():
        db.engine.dispose()


@pytest.mark.own_database
def test_sqlite_locked_beyond_the_busy_timeout_gets_503_with_retry_after(sqlite_app: tuple[Flask, Path]) -> None:
    app, path = sqlite_app
    with app.app_context():
        new = create_client("Provider", ["all"])
        create_user(email="locked@example.go.th", password=PASSWORD, roles=[Role.ADMIN])
        db.session.commit()
        auth = basic(new.client.key, new.secret)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock (a long import, say)
    try:
        client = app.test_client()
        _assert_unavailable_json(client.get("/xapi/statements", headers={**XAPI_HEADERS, "Authorization": auth}))
        _assert_unavailable_page(_signed_in_as(app).get("/"))
    finally:
        other.rollback()
        other.close()
    assert app.test_client().get("/xapi/statements", headers={**XAPI_HEADERS, "Authorization": auth}).status_code == 200


def _failing_flush_app(app: Flask) -> None:
    def duplicate_user() -> str:
        # A failed flush (a duplicate key) leaves the session refusing every query until it is
        # rolled back, and the error page's navigation loads the signed-in user.
        db.session.add(User(email="admin@example.go.th", password_hash="x"))
        db.session.flush()
        return "stored"

    app.add_url_rule("/duplicate-user", "duplicate_user", duplicate_user)


@pytest.mark.own_database
def test_the_500_page_renders_with_the_navigation_after_a_failed_flush(sqlite_app: tuple[Flask, Path]) -> None:
    app, _path = sqlite_app
    _failing_flush_app(app)
    authenticator = pyotp.TOTP(pyotp.random_base32(32))
    with app.app_context():
        admin = create_user(email="admin@example.go.th", password=PASSWORD, roles=[Role.ADMIN])
        step = authenticator.timecode(datetime.now(UTC))
        enrol_totp(admin, authenticator.secret, authenticator.generate_otp(step - 1))
        db.session.commit()
    client = app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": "admin@example.go.th", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(client, "/account/second-factor")  # an admin types the authenticator's code too
    client.post("/account/second-factor", data={"code": authenticator.now(), "csrf_token": token})
    response = client.get("/duplicate-user")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>500 · เกิดข้อผิดพลาด" in page
    assert "admin@example.go.th" in page  # the signed-in user's navigation, read after the rollback


@pytest.mark.own_database
def test_a_bare_bilingual_page_when_even_the_error_page_fails(
    sqlite_app: tuple[Flask, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _path = sqlite_app
    _failing_flush_app(app)
    with app.app_context():
        create_user(email="admin@example.go.th", password=PASSWORD, roles=[Role.ADMIN])
        db.session.commit()

    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise RuntimeError("a template that cannot render")

    monkeypatch.setattr("academy.portal.views.render_template", broken)
    response = app.test_client().get("/duplicate-user")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>500 · Internal Server Error</h1>" in page and "โปรดลองอีกครั้ง" in page


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (OperationalError("SELECT 1", {}, _Orig("terminating connection", "57P01")), True),  # server shut down
        (OperationalError("SELECT 1", {}, _Orig("the database system is starting up", "57P03")), True),
        (OperationalError("SELECT 1", {}, _Orig("connection failure", "08006")), True),
        (OperationalError(None, None, _Orig("connection refused")), True),  # while connecting: no statement
        (OperationalError("INSERT ...", {}, _Orig("database is locked")), True),  # SQLite, past the busy timeout
        (IntegrityError("INSERT ...", {}, _Orig("duplicate key", "23505")), False),
        (OperationalError("SELECT 1", {}, _Orig("deadlock detected", "40P01")), False),  # retried, not waited for
        (OperationalError("SELECT x", {}, _Orig("no such column: x")), False),
    ],
)
def test_which_database_errors_mean_it_does_not_answer(error: Exception, unavailable: bool) -> None:
    assert is_unavailable(error) is unavailable
