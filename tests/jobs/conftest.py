"""The jobs tests' stack: a database of the test's own, a broker (Redis with a key prefix of its own, or the
embedded one), the app; and reading it while real workers, in their own processes, write to it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from academy import create_app
from academy.db import is_unavailable
from academy.extensions import db
from academy.org.demo import ensure_position_lines
from academy.org.models import AgencyKind
from academy.org.services import create_agency
from jobs.models import Job, JobState
from tests.support.app import BASE_URL, make_settings, postgres_database
from tests.support.jobs import (
    Worker,
    broker_environ,
    clear_redis_prefix,
    delete_rabbitmq_queue,
    rabbitmq_answers,
    redis_answers,
)

AGENCY = "81001"


@dataclass
class Stack:
    app: Flask
    environ: dict[str, str]
    workdir: Path
    broker: str

    @property
    def on_sqlite(self) -> bool:
        return self.environ["ACADEMY_DATABASE_URL"].startswith("sqlite")


@pytest.fixture(params=["embedded", "redis"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    broker = request.param
    if broker == "redis" and not redis_answers():
        if os.environ.get("CI") == "true":  # .ci/run starts Redis: under CI the Redis runs must run
            pytest.fail("CI needs Redis at ACADEMY_TEST_REDIS_URL (redis://127.0.0.1:6379/13)")
        pytest.skip("Redis does not answer at ACADEMY_TEST_REDIS_URL (redis://127.0.0.1:6379/13)")
    if broker == "rabbitmq" and not rabbitmq_answers():
        pytest.skip("RabbitMQ does not answer at ACADEMY_TEST_RABBITMQ_URL (amqp://guest:guest@127.0.0.1:5672//)")
    server = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    databases = postgres_database(server) if server else iter([f"sqlite:///{tmp_path / 'academy.sqlite3'}"])
    url = next(databases)
    environ = {
        "ACADEMY_ENV": "testing",
        "ACADEMY_DATABASE_URL": url,
        "ACADEMY_SECRET_KEY": "test-secret-key",
        "ACADEMY_BASE_URL": BASE_URL,
        "ACADEMY_JOBS_STORAGE_DIR": str(tmp_path / "jobs"),
        "ACADEMY_JOBS_STALE_SECONDS": "2",
        # Under load a 20,000-row import holds SQLite's write lock for longer than the default 10 s.
        "ACADEMY_SQLITE_BUSY_TIMEOUT": "60",
        **broker_environ(broker, tmp_path),
    }
    app = create_app(settings=make_settings(url, **environ))
    with app.app_context():
        flask_migrate.upgrade()
        ensure_position_lines()
        ministry = create_agency(code="81", name_th="กระทรวง", name_en="Ministry", kind=AgencyKind.MINISTRY)
        create_agency(code=AGENCY, name_th="กรม", name_en="Department", kind=AgencyKind.DEPARTMENT, parent=ministry)
        db.session.commit()
        try:
            yield Stack(app, environ, tmp_path, broker)
        finally:
            app.extensions["celery"].close()  # the test's own connections to the broker
            db.session.remove()
            db.engine.dispose()
            if broker == "redis":
                clear_redis_prefix(environ["ACADEMY_CELERY_KEY_PREFIX"])
            if broker == "rabbitmq":
                delete_rabbitmq_queue(environ["ACADEMY_CELERY_QUEUE"])
            for _rest in databases:  # drops the PostgreSQL database
                pass


def read_value(query: Any) -> Any:
    """One value, read in a transaction of its own (on SQLite every transaction holds the write lock)."""
    try:
        return db.session.scalar(query)
    finally:
        db.session.remove()


def job_row(job_id: int) -> Job:
    try:
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job
    finally:
        db.session.remove()


def finished_job(job_id: int) -> Job | None:
    try:
        job = job_row(job_id)
    except OperationalError as error:
        # SQLite: a worker's import holds the write lock longer than the busy timeout: not yet.
        if is_unavailable(error):
            return None
        raise
    return job if job.state in (JobState.SUCCEEDED, JobState.FAILED) else None


def worker_logs(*running: Worker) -> str:
    return "\n".join(worker.output() for worker in running)
