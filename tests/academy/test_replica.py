"""Reads on a real streaming replica (academy.replica): what goes there, what stays on the primary.

The replica is a second PostgreSQL cluster streaming from the suite's server
(scripts/pg_replica.sh; `.ci/run` starts it): ACADEMY_TEST_REPLICA_URL names it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from academy import create_app
from academy.extensions import db
from academy.org.demo import ensure_position_lines
from academy.org.models import AgencyKind
from academy.org.services import create_agency
from api.rest.tokens import create_token
from tests.support.app import make_settings, postgres_database

pytestmark = pytest.mark.own_database


def _replica_server() -> str:
    url = os.environ.get("ACADEMY_TEST_REPLICA_URL")
    if not (os.environ.get("ACADEMY_TEST_DATABASE_URL") or "").startswith("postgresql"):
        pytest.skip("a streaming replica is a PostgreSQL feature (ACADEMY_TEST_DATABASE_URL)")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs the replica: ACADEMY_TEST_REPLICA_URL (scripts/pg_replica.sh starts one)")
        pytest.skip("no replica (ACADEMY_TEST_REPLICA_URL; scripts/pg_replica.sh starts one)")
    return url


class Counted:
    """The statements each engine ran."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


def _wait_for_replay(primary_url: str, replica_server: str) -> None:
    """Wait until the replica has replayed everything the primary has written so far.

    Compared by WAL position on the servers' own databases: the test's database
    (and its tables) may not exist on the replica yet, so nothing is read from it.
    """
    primary, replica = create_engine(primary_url), create_engine(replica_server)
    try:
        with primary.connect() as connection:
            written = connection.execute(text("SELECT pg_current_wal_lsn()")).scalar()
        for _ in range(200):
            with replica.connect() as connection:
                lag = connection.execute(
                    text("SELECT pg_wal_lsn_diff(CAST(:w AS pg_lsn), pg_last_wal_replay_lsn())"), {"w": written}
                ).scalar()
            if lag is not None and lag <= 0:
                return
            time.sleep(0.1)
        raise AssertionError("the replica did not replay the test's data within 20 s")
    finally:
        primary.dispose()
        replica.dispose()


@pytest.fixture
def replicated() -> Iterator[tuple[Flask, str, str]]:
    """An app on a database of its own with the replica of that database; a token of an agency."""
    replica_server = _replica_server()
    primary_server = os.environ["ACADEMY_TEST_DATABASE_URL"]
    for url in postgres_database(primary_server):
        replica_url = make_url(replica_server).set(database=make_url(url).database).render_as_string(False)
        app = create_app(
            settings=make_settings(url, ACADEMY_DATABASE_REPLICA_URL=replica_url, ACADEMY_REPLICA_STICKY_SECONDS="1")
        )
        try:
            with app.app_context():
                flask_migrate.upgrade()
                ensure_position_lines()
                agency = create_agency(
                    code="11", name_th="กระทรวงทดสอบ", name_en="Test Ministry", kind=AgencyKind.MINISTRY
                )
                new = create_token(agency, "DPIS", created_by="test")
                db.session.commit()
            _wait_for_replay(primary_server, replica_server)
            yield app, new.secret, replica_url
        finally:
            with app.app_context():
                app.extensions["academy.replica"].engine.dispose()
                db.engine.dispose()


def test_reads_go_to_the_replica_and_a_callers_own_writes_are_read_from_the_primary(
    replicated: tuple[Flask, str, str],
) -> None:
    app, secret, _ = replicated
    headers = {"Authorization": f"Bearer {secret}"}
    with app.app_context():
        replica_engine = app.extensions["academy.replica"].engine
        on_replica, on_primary = Counted(replica_engine), Counted(db.engine)
        with replica_engine.connect() as connection:
            assert connection.execute(text("SELECT pg_is_in_recovery()")).scalar() is True  # a real standby
    client = app.test_client()

    people = client.get("/api/v1/people", headers=headers)
    assert people.status_code == 200 and people.get_json() == []
    read_there = [s for s in on_replica.statements if "FROM people" in s]
    assert read_there and not [s for s in on_primary.statements if "FROM people" in s]

    # A write by the token: its next reads see it, from the primary, for the sticky second.
    record = {
        "agency_code": "11",
        "employee_no": "E1",
        "first_name_th": "สมชาย",
        "last_name_th": "ใจดี",
        "position_line_code": "K-GEN",
        "position_level_code": "K2",
    }
    written = client.post("/api/v1/people/bulk", headers=headers, json={"people": [record]})
    assert written.status_code == 200, written.get_json()
    on_replica.statements.clear()
    on_primary.statements.clear()
    after = client.get("/api/v1/people", headers=headers)
    assert after.status_code == 200 and [p["employee_no"] for p in after.get_json()] == ["E1"]
    assert not [s for s in on_replica.statements if "FROM people" in s]
    assert [s for s in on_primary.statements if "FROM people" in s]

    time.sleep(1.1)  # past the sticky second: back to the replica
    on_replica.statements.clear()
    assert client.get("/api/v1/people", headers=headers).status_code == 200
    assert [s for s in on_replica.statements if "FROM people" in s]


def test_a_replica_that_does_not_answer_leaves_reads_on_the_primary(replicated: tuple[Flask, str, str]) -> None:
    _, secret, replica_url = replicated
    primary_url = os.environ["ACADEMY_TEST_DATABASE_URL"]
    database = make_url(replica_url).database
    dead = make_url(replica_url).set(port=1).render_as_string(False)  # nothing listens on port 1
    app = create_app(
        settings=make_settings(
            make_url(primary_url).set(database=database).render_as_string(False),
            ACADEMY_DATABASE_REPLICA_URL=dead,
        )
    )
    try:
        response = app.test_client().get("/api/v1/people", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200 and response.get_json() == []
    finally:
        with app.app_context():
            app.extensions["academy.replica"].engine.dispose()
            db.engine.dispose()


def test_the_gdx_feed_builds_from_the_replica_and_keeps_and_pages_its_build_on_the_primary(
    replicated: tuple[Flask, str, str],
) -> None:
    from api.gdx.services.consumers import create_consumer
    from competencies.services.frameworks import seed_standard
    from tests.support.gdx import Credentials, validate

    app, _, _ = replicated
    with app.app_context():
        seed_standard()
        # A second ministry: two records (each too small to show), two pages of one.
        create_agency(code="12", name_th="กระทรวงที่สอง", name_en="Second Ministry", kind=AgencyKind.MINISTRY)
        new = create_consumer("GDX (replica test)")
        db.session.commit()
        credentials = Credentials(new.consumer.key, new.secret)
        replica_engine = app.extensions["academy.replica"].engine
        on_replica, on_primary = Counted(replica_engine), Counted(db.engine)
    _wait_for_replay(os.environ["ACADEMY_TEST_DATABASE_URL"], _replica_server())
    client = app.test_client()
    headers = {"Consumer-Key": credentials.key, "Token": validate(client, credentials)}

    first = client.get("/api/v1/gdx/coverage", query_string={"per_page": 1}, headers=headers)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["total"] == 2
    assert [s for s in on_replica.statements if "FROM agencies" in s]  # the build read the replica
    assert [s for s in on_primary.statements if s.startswith("INSERT INTO gdx_feed_snapshots")]
    assert not [s for s in on_replica.statements if "gdx_feed" in s]
    # The next page at once: its build is read on the primary, which has it (the replica may not yet).
    on_primary.statements.clear()
    link = urlsplit(first.get_json()["links"]["next"])
    second = client.get(link.path, query_string=link.query, headers=headers)
    assert second.status_code == 200, second.get_json()
    assert second.get_json()["snapshot"] == first.get_json()["snapshot"]
    assert [s for s in on_primary.statements if "FROM gdx_feed_records" in s]
    assert not [s for s in on_replica.statements if "gdx_feed" in s]
