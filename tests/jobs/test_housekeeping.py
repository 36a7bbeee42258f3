"""Beat's daily housekeeping jobs: old job files deleted (ACADEMY_JOBS_KEEP_DAYS), LRS partitions kept ahead."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from academy.db import db
from jobs.models import Job, JobState
from jobs.runner import run_job
from jobs.services import create_job, new_file, storage_root

DAY = 86400


@pytest.fixture(autouse=True)
def storage(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A jobs storage folder of the test's own: what the clean-up finds is this test's files alone."""
    monkeypatch.setitem(app.config, "ACADEMY_JOBS_STORAGE_DIR", str(tmp_path))
    return tmp_path


def _file(folder: str, age_days: float, suffix: str = ".csv") -> str:
    path, relative = new_file(folder, suffix)
    path.write_text("x" * 10, encoding="utf-8")
    moment = datetime.now(UTC).timestamp() - age_days * DAY
    os.utime(path, (moment, moment))
    return relative


def _finished(kind: str, age_days: float, **fields: object) -> Job:
    job = create_job(kind, params=dict(fields.pop("params", {})))  # type: ignore[call-overload]
    job.state = JobState.SUCCEEDED
    job.finished_at = datetime.now(UTC) - timedelta(days=age_days)
    for name, value in fields.items():
        setattr(job, name, value)
    db.session.flush()
    return job


def _run(job: Job) -> Job:
    run_job(job.id)
    db.session.refresh(job)
    assert job.state is JobState.SUCCEEDED, job.error
    return job


def _exists(relative: str) -> bool:
    return (storage_root() / relative).exists()


def test_the_cleanup_deletes_old_files_no_live_job_needs(app: Flask) -> None:
    assert app.config["ACADEMY_JOBS_KEEP_DAYS"] == 14
    old_result, old_upload = _file("results", 20), _file("uploads", 20)
    old_job = _finished(
        "people_import_check", 20, file_path=old_result, file_name="errors.csv", params={"upload": old_upload}
    )
    recent_result = _file("results", 3)
    recent_job = _finished("report_export", 3, file_path=recent_result, file_name="report.csv")
    # An upload written 20 days ago whose import still waits in the queue: kept.
    waiting_upload = _file("uploads", 20)
    create_job("people_import", params={"upload": waiting_upload})
    # What an upload cut off leaves behind: old ones go, a fresh one stays.
    stray_old, stray_new = _file("uploads", 15, ".part"), _file("uploads", 1, ".part")

    cleanup = _run(create_job("cleanup"))

    assert cleanup.result == {"files_deleted": 3, "bytes_freed": 30, "downloads_removed": 1}
    assert not _exists(old_result) and not _exists(old_upload) and not _exists(stray_old)
    assert _exists(recent_result) and _exists(waiting_upload) and _exists(stray_new)
    db.session.refresh(old_job)
    db.session.refresh(recent_job)
    assert old_job.file_path is None and recent_job.file_path == recent_result
    # Nothing more to do the second time.
    assert _run(create_job("cleanup")).result == {"files_deleted": 0, "bytes_freed": 0, "downloads_removed": 0}


def test_the_keep_days_setting_is_read(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ACADEMY_JOBS_KEEP_DAYS", 30)
    result = _file("results", 20)
    _finished("report_export", 20, file_path=result, file_name="report.csv")
    assert _run(create_job("cleanup")).result == {"files_deleted": 0, "bytes_freed": 0, "downloads_removed": 0}
    assert _exists(result)


def test_a_daily_slot_makes_one_job_a_day_and_only_of_housekeeping(app: Flask) -> None:
    task = app.extensions["celery"].tasks["jobs.daily_slot"]
    first = task.apply(args=["cleanup"]).get()
    assert isinstance(first, int) and task.apply(args=["cleanup"]).get() is None  # a second beat's
    assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "cleanup")) == 1
    with pytest.raises(ValueError, match="no daily job"):
        task.apply(args=["people_import"]).get()
    schedule = app.extensions["celery"].conf.beat_schedule
    assert schedule["jobs-cleanup"]["args"] == ["cleanup"]
    assert schedule["lrs-partitions"]["args"] == ["lrs_partitions"]


def test_the_lrs_partitions_are_kept_created_ahead(app: Flask) -> None:
    from lrs.partitions import Month, detach_month, is_partitioned

    if not is_partitioned():  # SQLite: nothing to do, and the job says so
        assert db.session.get_bind().dialect.name == "sqlite"
        job = _run(create_job("lrs_partitions"))
        assert job.result == {"partitioned": False, "partitions_created": 0}
        return
    # The third month ahead is missing (detached and dropped): the job creates it again.
    ahead = Month.of(datetime.now(UTC).date()).plus(3)
    for name in detach_month(ahead):
        db.session.execute(text(f"DROP TABLE {name}"))
    job = _run(create_job("lrs_partitions"))
    assert job.result is not None and job.result["partitions_created"] == 3
    assert sorted(job.result["partitions"].split(", ")) == sorted(
        ahead.partition(table) for table in ("lrs_statement_activities", "lrs_statement_agents", "lrs_statements")
    )
    assert _run(create_job("lrs_partitions")).result == {"partitioned": True, "partitions_created": 0, "partitions": ""}


def test_a_slot_is_named_by_when_beat_sent_it_not_when_a_worker_takes_it(app: Flask) -> None:
    from celery.beat import BeatLazyFunc

    celery = app.extensions["celery"]
    for name in ("gdx-push", "notifications", "jobs-cleanup", "lrs-partitions"):
        assert isinstance(celery.conf.beat_schedule[name]["kwargs"]["sent_at"], BeatLazyFunc)
    sent_at = datetime(2026, 12, 6, 16, 59, 59, tzinfo=UTC).timestamp()  # 23:59:59 in Bangkok
    first = celery.tasks["jobs.daily_slot"].apply(args=["cleanup"], kwargs={"sent_at": sent_at}).get()
    job = db.session.get(Job, first)
    assert job is not None and job.task_key == "cleanup:2026-12-06"  # taken later, still that day's slot
    hourly = celery.tasks["jobs.notifications_slot"].apply(kwargs={"sent_at": sent_at}).get()
    assert db.session.get(Job, hourly).task_key == "notifications:2026-12-06T16"  # type: ignore[union-attr]
