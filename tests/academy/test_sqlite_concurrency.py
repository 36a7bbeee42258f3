"""The embedded SQLite database under concurrent requests: writers wait for the lock instead of failing."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask

from academy import create_app
from academy.extensions import db
from lrs.clients import create_client
from tests.support.app import make_settings

THREADS = 8
REQUESTS = 12


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """An app on a SQLite file of its own, migrated, with one LRS client (its Basic credentials)."""
    app = create_app(settings=make_settings(f"sqlite:///{tmp_path / 'concurrent.sqlite3'}"))
    with app.app_context():
        flask_migrate.upgrade()
        new = create_client("Concurrent provider", ["all"])
        db.session.commit()
        auth = "Basic " + base64.b64encode(f"{new.client.key}:{new.secret}".encode()).decode()
    yield app, auth
    with app.app_context():
        db.engine.dispose()


def _statement(thread: int, number: int) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:learner{thread}@example.go.th"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"id": f"https://academy.test/activities/{thread}/{number}"},
    }


def _in_threads(work: Callable[[int], list[str]]) -> tuple[list[str], float]:
    """Run ``work(thread)`` in THREADS threads at once; every failure they report, and the seconds taken."""
    failures: list[str] = []
    start = threading.Barrier(THREADS)

    def run(thread: int) -> None:
        start.wait()
        try:
            failures.extend(work(thread))
        except Exception as error:  # a request that raised (TESTING propagates exceptions)
            failures.append(f"thread {thread}: {type(error).__name__}: {error}")

    began = time.perf_counter()
    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures, time.perf_counter() - began


@pytest.mark.own_database
def test_concurrent_read_then_write_requests_all_succeed(sqlite_app: tuple[Flask, str]) -> None:
    # Each POST reads (the client's credentials, existing statements) before it writes: with a
    # deferred BEGIN a writer whose snapshot another request had since committed past failed at
    # once with "database is locked", whatever the busy timeout.
    app, auth = sqlite_app
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}

    def post_statements(thread: int) -> list[str]:
        client = app.test_client()
        failures = []
        for number in range(REQUESTS):
            response = client.post("/xapi/statements", data=json.dumps(_statement(thread, number)), headers=headers)
            if response.status_code != 200:
                failures.append(f"thread {thread}: {response.status_code} {response.get_data(as_text=True)[:200]}")
        return failures

    failures, _seconds = _in_threads(post_statements)
    assert failures == []
    with app.test_client() as client:
        response = client.get("/xapi/statements?limit=0", headers=headers)
    assert len(response.get_json()["statements"]) == THREADS * REQUESTS


@pytest.mark.own_database
def test_reads_go_on_while_others_write(sqlite_app: tuple[Flask, str]) -> None:
    # Every transaction takes the write lock at BEGIN, so readers queue behind writers too:
    # they must still all succeed, none waiting out the busy timeout.
    app, auth = sqlite_app
    headers = {"Authorization": auth, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}

    def read_or_write(thread: int) -> list[str]:
        client = app.test_client()
        failures = []
        for number in range(REQUESTS):
            if thread % 2:
                response = client.get("/xapi/statements?limit=10", headers=headers)
            else:
                response = client.post("/xapi/statements", data=json.dumps(_statement(thread, number)), headers=headers)
            if response.status_code != 200:
                failures.append(f"thread {thread}: {response.status_code}")
        return failures

    failures, seconds = _in_threads(read_or_write)
    assert failures == []
    assert seconds < 60
