"""The app under test: its settings, base URL, test password, CSRF tokens, positions, PostgreSQL test databases."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from academy.config import Settings
from academy.extensions import db
from academy.org.models import PositionLevel, PositionLine

BASE_URL = "https://academy.test"
PASSWORD = "correct horse battery"


def postgres_database(server_url: str) -> Iterator[str]:
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


def make_settings(database_url: str, **environ: str) -> Settings:
    return Settings.from_environ(
        {
            "ACADEMY_ENV": "testing",
            "ACADEMY_DATABASE_URL": database_url,
            "ACADEMY_SECRET_KEY": "test-secret-key",
            "ACADEMY_BASE_URL": BASE_URL,
            # Jobs sent by in-process tests stay in memory; tests/jobs start real brokers and workers.
            "ACADEMY_CELERY_BROKER_URL": "memory://",
            **environ,
        }
    )


def position(line_code: str, level_code: str) -> tuple[PositionLine, PositionLevel]:
    line = db.session.scalar(db.select(PositionLine).where(PositionLine.code == line_code))
    level = db.session.scalar(db.select(PositionLevel).where(PositionLevel.code == level_code))
    assert line is not None and level is not None
    return line, level


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)
