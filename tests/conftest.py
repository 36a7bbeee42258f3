"""Test fixtures: the schema once per session, each test in a rolled-back transaction.

Set ACADEMY_TEST_DATABASE_URL to a PostgreSQL server URL to run the suite on
PostgreSQL: a database of its own is created for the run and dropped afterwards.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from werkzeug.test import TestResponse

from academy import create_app
from academy.auth.models import Role, User
from academy.auth.services import create_user
from academy.extensions import db, limiter
from academy.org.demo import ensure_position_lines
from academy.org.models import Agency, AgencyKind, IdentifierKind, Person, PersonIdentifier
from academy.org.services import apply_role_profile, create_agency, platform_account_key
from lrs.clients import NewClient, create_client
from tests.support.app import BASE_URL, PASSWORD, make_settings, position, postgres_database
from tests.support.lrs import Xapi, basic
from tests.support.mail import mailbox, smtp_server  # noqa: F401  (fixtures: a real SMTP server on loopback)
from tests.support.second_factor import sign_in


def pytest_report_header() -> list[str]:
    """Name any missing system package at the top of the run, so that a test failing for want of one says why."""
    from tests.support.system_packages import load_script

    script = load_script()
    absent = script.missing(script.NEEDS)
    if not absent:
        return []
    packages = [need.package for need in absent]
    return [
        f"MISSING SYSTEM PACKAGES: {', '.join(packages)} (`make install` installs them); or run:",
        f"  {script.apt_command(packages, root=os.geteuid() == 0)}",
    ]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    if server_url:
        yield from postgres_database(server_url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'academy.sqlite3'}"


class RequestClient(FlaskClient):
    """A test client whose requests get their own app context (and so their own ``g`` and
    session, on the test's connection), as in production, even while a test holds one."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        # The request context reuses the app context it finds, so push a fresh one for it to find.
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    storage = str(tmp_path_factory.mktemp("cmi5-files"))
    jobs_storage = str(tmp_path_factory.mktemp("jobs-files"))
    app = create_app(
        settings=make_settings(database_url, ACADEMY_CMI5_STORAGE_DIR=storage, ACADEMY_JOBS_STORAGE_DIR=jobs_storage)
    )
    app.test_client_class = RequestClient
    with app.app_context():
        flask_migrate.upgrade()  # the real migrations build the test schema
        ensure_position_lines()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def app_context_scope() -> object:
    """Key the test's scoped session by the current app context: each context has a ``g`` of its own."""
    return g.setdefault("test_session_scope", object())


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
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=app_context_scope
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


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    def do_login(user: User, password: str = PASSWORD) -> FlaskClient:
        return sign_in(client, user, password)  # HR officers and admins type their TOTP code too

    return do_login


# --- the LRS: a client with credentials, and requests that carry them (used by several packages) ---


@pytest.fixture
def make_credentials() -> Callable[..., str]:
    def make(*scopes: str, name: str = "Provider") -> str:
        new = create_client(name, list(scopes or ("all",)))
        return basic(new.client.key, new.secret)

    return make


@pytest.fixture
def provider() -> NewClient:
    """The client (scope all) whose credentials xapi() sends unless told otherwise."""
    return create_client("Provider", ["all"])


@pytest.fixture
def xapi(client: FlaskClient, provider: NewClient) -> Xapi:
    """Send an xAPI request: xapi("POST", "/xapi/statements", json=..., version="2.0.0")."""
    default_auth = basic(provider.client.key, provider.secret)

    def send(
        method: str,
        path: str,
        *,
        json_body: Any = None,
        version: str = "2.0.0",
        auth: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        all_headers = {"X-Experience-API-Version": version, "Authorization": auth or default_auth, **(headers or {})}
        if json_body is not None:
            kwargs["data"] = json.dumps(json_body)
            kwargs.setdefault("content_type", "application/json")
        return client.open(path, method=method, headers=all_headers, **kwargs)

    return send


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database of its own, for a test that runs migrations (mark it ``own_database``)."""
    server_url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    databases = postgres_database(server_url) if server_url else iter([f"sqlite:///{tmp_path / 'm.sqlite3'}"])
    url = next(databases)
    app = create_app(settings=make_settings(url, ACADEMY_CMI5_STORAGE_DIR=str(tmp_path / "files")))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        next(databases, None)
