"""The Celery tasks: run a job (retried with backoff when the cause may pass), the schedule's slots, the sweep."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task
from flask import current_app

from academy.dates import today
from jobs.runner import fail_job, note_retry, retryable, run_job

#: Retries of a job whose cause may pass (database or SMTP server away, lost race, busy lock),
#: waiting 2, 4, 8 ... seconds (less by up to half, the jitter) up to RETRY_MAX_DELAY: half an hour
#: or so in all (ACADEMY_JOBS_MAX_RETRIES, ACADEMY_JOBS_RETRY_BASE_SECONDS).
MAX_RETRIES = 12
RETRY_BASE_DELAY = 2.0
RETRY_MAX_DELAY = 600.0
#: The kinds beat may start through ``jobs.daily_slot``.
DAILY_KINDS = frozenset({"cleanup", "lrs_partitions"})


def backoff(retries: int, base: float = RETRY_BASE_DELAY) -> float:
    """Exponential backoff with jitter, for the given number of retries so far."""
    delay = min(RETRY_MAX_DELAY, base * 2**retries)
    return delay / 2 + random.uniform(0, delay / 2)


def sent(sent_at: float | None) -> datetime:
    """When beat sent a slot's message (its ``sent_at``), or now for a message without it."""
    return datetime.fromtimestamp(sent_at, UTC) if sent_at is not None else datetime.now(UTC)


def register_tasks(celery: Celery) -> None:
    """Define the tasks on this Celery app (names are stable: messages name them)."""

    # Not shared: each Flask app (tests build several) has its own Celery app and its own tasks.
    @celery.task(name="jobs.run", bind=True, max_retries=None, shared=False)
    def run(self: Task, job_id: int) -> None:
        config = current_app.config
        try:
            run_job(job_id)
        except Exception as error:
            if retryable(error) and self.request.retries < int(config["ACADEMY_JOBS_MAX_RETRIES"]):
                delay = backoff(self.request.retries, float(config["ACADEMY_JOBS_RETRY_BASE_SECONDS"]))
                current_app.logger.warning("job %s: %s; retrying in %.1f s", job_id, error, delay)
                note_retry(job_id, error, delay)
                raise self.retry(exc=error, countdown=delay) from None
            current_app.logger.exception("job %s failed", job_id)
            fail_job(job_id, error)

    @celery.task(name="jobs.gdx_push_slot", shared=False)
    def gdx_push_slot(sent_at: float | None = None) -> Any:
        """The daily GDX push: beat sends this; only the first delivery of the Bangkok day makes the job."""
        from jobs.services import claim_job

        if not current_app.config["ACADEMY_GDX_INGEST_URL"]:
            current_app.logger.info("GDX push skipped: ACADEMY_GDX_INGEST_URL is not set")
            return None
        job = claim_job("gdx_push", f"gdx_push:{today(sent(sent_at)).isoformat()}", params={"trigger": "schedule"})
        return None if job is None else job.id

    @celery.task(name="jobs.notifications_slot", shared=False)
    def notifications_slot(sent_at: float | None = None) -> Any:
        """Hourly reminders and notifications: only the first delivery of the hour makes the job."""
        from jobs.services import claim_job

        job = claim_job("notifications", f"notifications:{sent(sent_at):%Y-%m-%dT%H}", params={"trigger": "schedule"})
        return None if job is None else job.id

    @celery.task(name="jobs.probe_slot", shared=False)
    def probe_slot(sent_at: float | None = None) -> Any:
        """Diagnostics (ACADEMY_JOBS_PROBE_SECONDS): a no-op job per clock slot, however many beats send it."""
        from jobs.celery_app import slot_number
        from jobs.services import claim_job

        slot = slot_number(float(current_app.config["ACADEMY_JOBS_PROBE_SECONDS"]), sent(sent_at))
        job = claim_job("probe", f"probe:{slot}", params={"trigger": "schedule", "slot": slot})
        return None if job is None else job.id

    @celery.task(name="jobs.daily_slot", shared=False)
    def daily_slot(kind: str, sent_at: float | None = None) -> Any:
        """A daily housekeeping job (the clean-up, the LRS partitions): one per Bangkok day, however many beats."""
        from jobs.services import claim_job

        if kind not in DAILY_KINDS:
            raise ValueError(f"no daily job {kind!r}")
        job = claim_job(kind, f"{kind}:{today(sent(sent_at)).isoformat()}", params={"trigger": "schedule"})
        return None if job is None else job.id

    @celery.task(name="credentials.issue_queued", shared=False)
    def issue_queued_credentials() -> int:
        """The credentials projection's queue (ACADEMY_CREDENTIALS_ISSUE_IN=job), emptied a chunk a commit."""
        from academy.db import db
        from credentials.services.issuing import issue_queued

        total = 0
        while True:
            try:
                people, _issued, _revoked = issue_queued()
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise  # the people stay queued: the next send (or beat's, within a minute) takes them
            total += people
            if not people:
                return total

    @celery.task(name="gdx.build_feeds", shared=False)
    def build_gdx_feeds(sent_at: float | None = None) -> list[int]:
        """The GDX feeds of every agency most read, built ahead of reads: once a slot, however many beats send it."""
        from datetime import timedelta

        from academy.db import db
        from api.gdx.services.builds import build_ahead, rebuild_every
        from jobs.celery_app import slot_number

        max_age = int(current_app.config["ACADEMY_GDX_FEED_MAX_AGE"])
        every = rebuild_every(max_age)
        if not every:
            return []
        since = datetime.fromtimestamp(slot_number(every, sent(sent_at)) * every, UTC)
        built = build_ahead(since, timedelta(seconds=max_age))
        db.session.commit()
        return built

    @celery.task(name="jobs.sweep", shared=False)
    def sweep() -> list[int]:
        from jobs.services import sweep_stale

        return sweep_stale()
