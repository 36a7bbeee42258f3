"""Running a job in-process: retries with backoff then a failed job with its error, errors no retry mends, rebuilds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from academy.extensions import db
from jobs import tasks
from jobs.models import Job, JobState
from jobs.progress import Progress
from jobs.runner import HANDLERS, Outcome, run_job
from jobs.services import create_job

calls: list[int] = []


@pytest.fixture
def flaky() -> Iterator[str]:
    """A kind of job whose database is always locked (a transient error), then one that has a bug."""

    def locked(job: Job, progress: Progress) -> Outcome:
        calls.append(job.id)
        raise OperationalError("UPDATE people", {}, Exception("database is locked"))

    def buggy(job: Job, progress: Progress) -> Outcome:
        calls.append(job.id)
        raise KeyError("upload")

    HANDLERS["test_locked"], HANDLERS["test_buggy"] = locked, buggy
    calls.clear()
    yield "test_locked"
    del HANDLERS["test_locked"], HANDLERS["test_buggy"]


def _run(app: Flask, job_id: int) -> None:
    """The task as a worker runs it (retries execute at once when applied in-process)."""
    app.extensions["celery"].tasks["jobs.run"].apply(args=[job_id])


def test_a_transient_error_is_retried_then_the_job_shows_failed(
    app: Flask, flaky: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []
    original = tasks.backoff
    monkeypatch.setattr(tasks, "backoff", lambda retries, base: delays.append(original(retries, base)) or 0.0)
    job = create_job(flaky)
    _run(app, job.id)
    db.session.refresh(job)
    assert len(calls) == tasks.MAX_RETRIES + 1
    assert job.state is JobState.FAILED and job.error is not None and "database is locked" in job.error
    assert job.attempts == tasks.MAX_RETRIES + 1 and job.finished_at is not None
    assert delays == sorted(delays[:4]) + delays[4:] and delays[-1] <= tasks.RETRY_MAX_DELAY


def test_an_error_no_retry_mends_fails_at_once(app: Flask, flaky: str) -> None:
    job = create_job("test_buggy")
    _run(app, job.id)
    db.session.refresh(job)
    assert calls == [job.id] and job.state is JobState.FAILED and job.error == "KeyError: 'upload'"


def test_a_finished_job_is_not_run_again(app: Flask, flaky: str) -> None:
    job = create_job(flaky)
    job.state = JobState.SUCCEEDED
    db.session.flush()
    run_job(job.id)
    assert calls == [] and db.session.get(Job, job.id).attempts == 0  # type: ignore[union-attr]


def test_rebuild_projections_as_a_job(app: Flask) -> None:
    job = create_job("rebuild_projections")
    run_job(job.id)
    db.session.refresh(job)
    assert job.state is JobState.SUCCEEDED, job.error
    assert job.result is not None and set(job.result) >= {"evidence"}


def test_the_hourly_notifications_slot_makes_one_job_that_sends_what_is_due(app: Flask) -> None:
    from jobs.services import claim_job

    first = claim_job("notifications", "notifications:2026-12-06T09", params={"trigger": "schedule"})
    assert first is not None
    # A second beat (or a second delivery) of the same hour finds the slot taken.
    assert claim_job("notifications", "notifications:2026-12-06T09", params={"trigger": "schedule"}) is None
    run_job(first.id)
    db.session.refresh(first)
    assert first.state is JobState.SUCCEEDED, first.error
    assert first.result is not None and {"produced", "mailed", "failed"} <= set(first.result)


def test_a_job_waiting_for_its_retry_shows_why_and_is_not_swept_meanwhile(app: Flask) -> None:
    from datetime import UTC, datetime, timedelta

    from jobs.runner import JobBusy, note_retry
    from jobs.services import sweep_stale

    job = create_job("rebuild_projections")
    job.state = JobState.RUNNING
    db.session.commit()  # as the worker's first attempt did
    note_retry(job.id, OperationalError("UPDATE people", {}, Exception("database is locked")), 60)
    db.session.refresh(job)
    assert job.state is JobState.QUEUED and job.error == "retrying: OperationalError: database is locked"
    stale = float(app.config["ACADEMY_JOBS_STALE_SECONDS"])
    now = datetime.now(UTC)
    assert job.id not in sweep_stale(now + timedelta(seconds=stale + 30))  # its retry is not due yet
    assert job.id in sweep_stale(now + timedelta(seconds=stale + 90))  # the retry never came
    # A delivery that waits for a job another worker runs leaves that job as it is.
    other = create_job("rebuild_projections")
    other.state = JobState.RUNNING
    db.session.commit()
    note_retry(other.id, JobBusy("running elsewhere"), 5)
    db.session.refresh(other)
    assert other.state is JobState.RUNNING and other.error is None
