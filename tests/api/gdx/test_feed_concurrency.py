"""Concurrent first reads of the feed of every agency: one build per feed, and every reader is served it.

On PostgreSQL the readers and beat really run at once: the first to build waits, inside its
build, until every other one is blocked on the feed's advisory lock (seen in pg_locks), so
each of them has already looked for a build and found none; the app has a read replica
there (the same database, said to be in step), and the locks and builds stay on the primary
while the builds read the replica. On SQLite every transaction
takes the write lock at its BEGIN, so the readers run one after another: the test shows
that the second finds the first's build, not that anything ran at once.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import func, select, text

from academy import create_app
from academy.db import db
from academy.org.demo import ensure_position_lines
from academy.org.models import Agency, Person
from academy.replica import _Replica
from api.gdx.models import GdxFeedSnapshot
from api.gdx.services import builds
from api.gdx.services.consumers import create_consumer
from competencies.services.coverage import Population
from competencies.services.frameworks import seed_standard
from tests.academy.test_replica import Counted
from tests.support.app import make_settings, postgres_database
from tests.support.gdx import Credentials, make_government, validate

pytestmark = pytest.mark.own_database

READERS = 4


@pytest.fixture
def own_app(
    tmp_path: Path, make_agency: Callable[..., Agency], make_person: Callable[..., Person]
) -> Iterator[tuple[Flask, Credentials]]:
    """An app on a database of its own (the suite's server, or a SQLite file) with the government and a consumer."""
    server_url = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    urls = postgres_database(server_url) if server_url else iter([f"sqlite:///{tmp_path / 'feed.sqlite3'}"])
    for database_url in urls:
        # PostgreSQL: the database is its own "replica", so that the test sees which statements go where.
        replica = {"ACADEMY_DATABASE_REPLICA_URL": database_url} if server_url else {}
        app = create_app(settings=make_settings(database_url, ACADEMY_GDX_FEED_MAX_AGE="300", **replica))
        with app.app_context():
            flask_migrate.upgrade()
            ensure_position_lines()
            make_government(seed_standard(), make_agency, make_person)
            new = create_consumer("GDX (concurrent reads)")
            db.session.commit()
            credentials = Credentials(new.consumer.key, new.secret)
        yield app, credentials
        with app.app_context():
            if server_url:
                app.extensions["academy.replica"].engine.dispose()
            db.engine.dispose()


def waiting_for_the_lock(app: Flask, count: int, timeout: float = 15.0) -> int:
    """Wait until ``count`` transactions wait for a feed's build lock (or the timeout); how many there were."""
    waiting = 0
    deadline = time.monotonic() + timeout
    with app.app_context(), db.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND classid = CAST(:space AS oid)"
                ),
                {"space": builds.BUILD_LOCK_SPACE},
            ).scalar_one()
            if waiting >= count:
                break
            time.sleep(0.02)
    return waiting


def test_concurrent_first_reads_and_beat_make_one_build_and_every_reader_is_served_it(
    own_app: tuple[Flask, Credentials], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, credentials = own_app
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:
            monkeypatch.setattr(_Replica, "_lag", lambda self: 0.0)
            on_replica, on_primary = Counted(app.extensions["academy.replica"].engine), Counted(db.engine)
    headers = {"Consumer-Key": credentials.key, "Token": validate(app.test_client(), credentials)}
    built: list[str] = []
    waiters: list[int] = []
    build_feed = builds.build_feed

    building = threading.Event()

    def watched_build(fiscal_year: int, framework: Any, population: Population) -> Any:
        built.append(population.value)
        building.set()
        if postgres and population is Population.IT:
            # Everyone else (the other readers and beat) has looked, found nothing, and waits for this build.
            waiters.append(waiting_for_the_lock(app, READERS))
        return build_feed(fiscal_year, framework, population)

    monkeypatch.setattr(builds, "build_feed", watched_build)
    served: list[int] = []
    ahead: list[int] = []
    failures: list[str] = []
    sent_at = time.time()  # beat's slot starts before any reader's build
    start = threading.Barrier(READERS + 1)

    def read() -> None:
        start.wait()
        response = app.test_client().get("/api/v1/gdx/coverage", headers=headers)
        if response.status_code != 200:
            failures.append(response.get_data(as_text=True)[:300])
        else:
            served.append(response.get_json()["snapshot"])

    def beat() -> None:
        start.wait()
        building.wait(timeout=30)  # a reader builds the IT feed (from the replica), beat waits for it too
        with app.app_context():
            ahead.extend(app.extensions["celery"].tasks["gdx.build_feeds"].apply(kwargs={"sent_at": sent_at}).get())

    threads = [threading.Thread(target=read) for _ in range(READERS)] + [threading.Thread(target=beat)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures
    with app.app_context():
        it_builds = list(db.session.scalars(select(GdxFeedSnapshot.id).where(GdxFeedSnapshot.population == "it")))
        assert db.session.scalar(select(func.count()).select_from(GdxFeedSnapshot)) == 2  # IT, and beat's `all`
    assert len(it_builds) == 1 and served == [it_builds[0]] * READERS
    assert sorted(built) == ["all", "it"]
    assert len(ahead) == 1 and ahead[0] != it_builds[0]  # beat built everyone's, and found the readers' IT build
    if postgres:
        assert waiters == [READERS]
        locks = [s for s in on_primary.statements if "pg_advisory_xact_lock" in s]
        assert len(locks) == READERS + 2  # each reader and beat's two feeds: all on the primary
        assert [s for s in on_replica.statements if "FROM agencies" in s]  # the build read the replica
        assert not [s for s in on_replica.statements if "gdx_feed" in s or "advisory" in s]
