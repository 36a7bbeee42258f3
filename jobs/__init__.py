"""Background work on Celery: the job table users see, the tasks, the schedules (beat).

``init_app`` builds the Celery app from the ``ACADEMY_*`` settings (``app.extensions["celery"]``),
registers the tasks, the jobs pages and the job handlers. Workers and beat load it through
``jobs.worker`` (``celery -A jobs.worker:celery_app worker``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from academy.org.models import Agency
from jobs.models import Job, JobState

__all__ = [
    "Job",
    "JobState",
    "erasure_job",
    "export_threshold",
    "init_app",
    "latest_my_data_job",
    "queue_erasure",
    "queue_my_data",
    "queue_report_export",
]


def export_threshold() -> int:
    """Report exports of more people than this are queued as jobs (ACADEMY_JOBS_EXPORT_THRESHOLD)."""
    return int(current_app.config["ACADEMY_JOBS_EXPORT_THRESHOLD"])


def queue_report_export(user: Any, agency: Agency, params: dict[str, Any]) -> Job:
    """Queue a people report's export as the user's job, scoped to the agency (sent when the request commits)."""
    from jobs.handlers import REPORT_EXPORT
    from jobs.services import create_job

    return create_job(REPORT_EXPORT, started_by=user, scope=[agency], params=params)


def queue_my_data(user: Any, person: Any) -> Job:
    """Queue the user's own *My data* ZIP (their job alone); one that is still queued or running is reused."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from academy.db import db
    from jobs.handlers import MY_DATA_EXPORT
    from jobs.services import create_job

    waiting = db.session.scalar(
        select(Job)
        .where(
            Job.kind == MY_DATA_EXPORT,
            Job.started_by_id == user.id,
            Job.state.in_([JobState.QUEUED, JobState.RUNNING]),
        )
        .limit(1)
    )
    if waiting is not None:
        return waiting
    params = {"person_id": person.id, "generated": datetime.now(UTC).isoformat()}
    return create_job(MY_DATA_EXPORT, started_by=user, params=params)


def latest_my_data_job(user: Any) -> Job | None:
    from sqlalchemy import select

    from academy.db import db
    from jobs.handlers import MY_DATA_EXPORT

    return db.session.scalar(
        select(Job).where(Job.kind == MY_DATA_EXPORT, Job.started_by_id == user.id).order_by(Job.id.desc()).limit(1)
    )


def erasure_task_key(request_id: int) -> str:
    return f"erasure:{request_id}"


def queue_erasure(admin: Any, request_id: int) -> Job:
    """Queue an approved erasure as the admin's job (sent when the request commits); one task key per request."""
    from jobs.handlers import ERASURE
    from jobs.services import create_job

    return create_job(
        ERASURE, started_by=admin, params={"request_id": request_id}, task_key=erasure_task_key(request_id)
    )


def erasure_job(request_id: int) -> Job | None:
    """The request's erasure job, or its latest re-run when it failed and was run again."""
    from sqlalchemy import select

    from academy.db import db

    job = db.session.scalar(select(Job).where(Job.task_key == erasure_task_key(request_id)))
    while job is not None:
        again = db.session.scalar(select(Job).where(Job.parent_id == job.id).order_by(Job.id.desc()).limit(1))
        if again is None:
            break
        job = again
    return job


def init_app(app: Flask) -> None:
    """Register the job table, the Celery app and its tasks, the jobs pages and the job handlers."""
    from jobs import handlers as _handlers  # noqa: F401 - registers each kind's work
    from jobs.celery_app import init_celery
    from jobs.cli import register as register_cli
    from jobs.tasks import register_tasks
    from jobs.views import allow_large_upload, bp

    register_tasks(init_celery(app))
    app.register_blueprint(bp)
    register_cli()
    # First, so that the upload's own limit applies before CSRF protection reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, allow_large_upload)
