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

__all__ = ["Job", "JobState", "export_threshold", "init_app", "queue_report_export"]


def export_threshold() -> int:
    """Report exports of more people than this are queued as jobs (ACADEMY_JOBS_EXPORT_THRESHOLD)."""
    return int(current_app.config["ACADEMY_JOBS_EXPORT_THRESHOLD"])


def queue_report_export(user: Any, agency: Agency, params: dict[str, Any]) -> Job:
    """Queue a people report's export as the user's job, scoped to the agency (sent when the request commits)."""
    from jobs.handlers import REPORT_EXPORT
    from jobs.services import create_job

    return create_job(REPORT_EXPORT, started_by=user, scope=[agency], params=params)


def init_app(app: Flask) -> None:
    """Register the job table, the Celery app and its tasks, the jobs pages and the job handlers."""
    from jobs import handlers as _handlers  # noqa: F401 - registers each kind's work
    from jobs.celery_app import init_celery
    from jobs.tasks import register_tasks
    from jobs.views import allow_large_upload, bp

    register_tasks(init_celery(app))
    app.register_blueprint(bp)
    # First, so that the upload's own limit applies before CSRF protection reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, allow_large_upload)
