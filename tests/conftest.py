"""Test fixtures: the schema once per session, each test in a rolled-back transaction.

Set ACADEMY_TEST_DATABASE_URL to a PostgreSQL server URL to run the suite on
PostgreSQL: a database of its own is created for the run and dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from werkzeug.test import TestResponse

from academy import create_app
from academy.auth.models import Role, User
from academy.auth.services import create_user
from academy.config import Settings
from academy.extensions import db, limiter
from academy.org.demo import ensure_position_lines
from academy.org.models import Agency, AgencyKind, IdentifierKind, Person, PersonIdentifier, PositionLevel, PositionLine
from academy.org.services import apply_role_profile, create_agency, platform_account_key

BASE_URL = "https://academy.test"
PASSWORD = "correct horse battery"


def pytest_report_header() -> list[str]:
    """Name any missing system package at the top of the run, so that a test failing for want of one says why."""
    from tests.system_packages import load_script

    script = load_script()
    absent = script.missing(script.NEEDS)
    if not absent:
        return []
    packages = [need.package for need in absent]
    return [
        f"MISSING SYSTEM PACKAGES: {', '.join(packages)} (`make install` installs them); or run:",
        f"  {script.apt_command(packages, root=os.geteuid() == 0)}",
    ]


def _postgres_database(server_url: str) -> Iterator[str]:
    server = make_url(server_url)
    name = f"academy_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    if server_url:
        yield from _postgres_database(server_url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'academy.sqlite3'}"


def make_settings(database_url: str, **environ: str) -> Settings:
    return Settings.from_environ(
        {
            "ACADEMY_ENV": "testing",
            "ACADEMY_DATABASE_URL": database_url,
            "ACADEMY_SECRET_KEY": "test-secret-key",
            "ACADEMY_BASE_URL": BASE_URL,
            **environ,
        }
    )


class RequestClient(FlaskClient):
    """A test client whose requests get their own app context (and so their own ``g`` and
    session, on the test's connection), as in production, even while a test holds one."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    storage = str(tmp_path_factory.mktemp("cmi5-files"))
    app = create_app(settings=make_settings(database_url, ACADEMY_CMI5_STORAGE_DIR=storage))
    app.test_client_class = RequestClient
    with app.app_context():
        flask_migrate.upgrade()  # the real migrations build the test schema
        ensure_position_lines()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def db_session(app: Flask, request: pytest.FixtureRequest) -> Iterator[scoped_session[Session] | None]:
    """Run the test inside a transaction that is rolled back; commits become savepoints.

    A test marked ``own_database`` gets the app's own sessions instead (it builds an app
    on another database).
    """
    if request.node.get_closest_marker("own_database"):
        yield None
        return
    limiter.reset()  # rate limits count per test, not across the suite
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id
        )
        original, db.session = db.session, session
        try:
            yield session
        finally:
            session.remove()
            transaction.rollback()
            connection.close()
            db.session = original


_counter = itertools.count(1)


@pytest.fixture
def make_agency() -> Callable[..., Agency]:
    def make(code: str | None = None, parent: Agency | None = None, **fields: Any) -> Agency:
        kind = (
            AgencyKind.MINISTRY
            if parent is None
            else (AgencyKind.DEPARTMENT if parent.kind is AgencyKind.MINISTRY else AgencyKind.DIVISION)
        )
        code = code or f"{parent.code if parent else ''}{next(_counter):03d}"
        return create_agency(
            code=code,
            name_th=fields.get("name_th", f"หน่วยงาน {code}"),
            name_en=fields.get("name_en", f"Agency {code}"),
            kind=kind,
            parent=parent,
        )

    return make


def position(line_code: str, level_code: str) -> tuple[PositionLine, PositionLevel]:
    line = db.session.scalar(db.select(PositionLine).where(PositionLine.code == line_code))
    level = db.session.scalar(db.select(PositionLevel).where(PositionLevel.code == level_code))
    assert line is not None and level is not None
    return line, level


@pytest.fixture
def make_person() -> Callable[..., Person]:
    def make(agency: Agency, line: str = "K-GEN", level: str = "K2", **fields: Any) -> Person:
        position_line, position_level = position(line, level)
        number = next(_counter)
        person = Person(
            agency=agency,
            employee_no=fields.pop("employee_no", f"E{number:06d}"),
            first_name_th=fields.pop("first_name_th", f"ชื่อ{number}"),
            last_name_th=fields.pop("last_name_th", f"สกุล{number}"),
            first_name_en=fields.pop("first_name_en", f"Name{number}"),
            last_name_en=fields.pop("last_name_en", f"Surname{number}"),
            position_line=position_line,
            position_level=position_level,
            **fields,
        )
        apply_role_profile(person)
        db.session.add(person)
        db.session.flush()
        person.identifiers.append(
            PersonIdentifier(kind=IdentifierKind.ACCOUNT, key=platform_account_key(BASE_URL, person.public_id))
        )
        db.session.flush()
        return person

    return make


@pytest.fixture
def make_user() -> Callable[..., User]:
    def make(
        *roles: Role, agencies: tuple[Agency, ...] = (), person: Person | None = None, email: str | None = None
    ) -> User:
        return create_user(
            email=email or f"user{next(_counter)}@example.go.th",
            password=PASSWORD,
            roles=roles or (Role.LEARNER,),
            agencies=agencies,
            person=person,
        )

    return make


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    def do_login(user: User, password: str = PASSWORD) -> FlaskClient:
        token = csrf_token(client, "/login")
        response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return do_login
