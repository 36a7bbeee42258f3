"""Running a job once, whatever the broker delivers: the job lock, its states, its handlers.

A job's work and its final state are written in one transaction: the rows an import stores
and "succeeded" are committed together, or neither is (a worker killed mid-job leaves
nothing behind). A delivery of a finished job does nothing; a delivery of a job that another
worker is running waits (JobBusy, retried later) instead of running it a second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from academy.db import db, is_transient, is_unavailable
from jobs.models import FINISHED, Job, JobState
from jobs.progress import Progress, forget_progress

#: The first key of the jobs' PostgreSQL advisory locks (the second is the job's id).
LOCK_SPACE = 1401
#: The longest error text a job keeps.
MAX_ERROR_CHARS = 2000


class JobBusy(Exception):
    """Another worker holds the job's lock (a second delivery while the first still runs)."""


@dataclass
class Outcome:
    """What a handler made: a summary, perhaps a file, and an error when the job must show as failed."""

    result: dict[str, Any] = field(default_factory=dict)
    file_path: str | None = None
    file_name: str | None = None
    #: Set to end as failed while still keeping (and committing) the result and file.
    failed: str | None = None


Handler = Callable[[Job, Progress], Outcome]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does the work of a kind of job."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def retryable(error: BaseException) -> bool:
    """Whether trying again later may succeed: a lost race, a database away, a busy job, a network error."""
    if isinstance(error, JobBusy | ConnectionError | TimeoutError):
        return True
    return is_transient(error) or is_unavailable(error)


def _mark_running(job_id: int) -> bool:
    """Count the attempt and show the job as running; False when it is finished (nothing to do)."""
    now = datetime.now(UTC)
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .values(
            state=JobState.RUNNING,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            error=None,
        )
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def _lock(job_id: int) -> None:
    """Take the job's lock for the rest of this transaction, or raise JobBusy.

    PostgreSQL: a transaction-level advisory lock (let go on commit, rollback or a dead
    connection). SQLite: every transaction takes the one write lock at BEGIN (academy.db),
    which serialises the jobs by itself; a second delivery waits for it, then finds the job done.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        taken = db.session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, :key)"), {"space": 1401, "key": job_id}
        )
        if not taken:
            raise JobBusy(f"job {job_id} is running elsewhere")


def run_job(job_id: int) -> None:
    """Run a job to its end (succeeded, or failed with a handler's reason); raise what may be retried."""
    if not _mark_running(job_id):
        return
    try:
        _lock(job_id)
        job = db.session.scalars(select(Job).where(Job.id == job_id).execution_options(populate_existing=True)).one()
        if job.state in FINISHED:
            db.session.rollback()
            return
        work = HANDLERS[job.kind]
        progress = Progress(job_id)
        outcome = work(job, progress)
        job.state = JobState.FAILED if outcome.failed else JobState.SUCCEEDED
        job.error = outcome.failed
        job.result = outcome.result
        job.file_path, job.file_name = outcome.file_path, outcome.file_name
        job.done = progress.done
        job.total = progress.total if progress.total is not None else progress.done
        job.finished_at = datetime.now(UTC)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    forget_progress(job_id)


def fail_job(job_id: int, error: BaseException | str) -> None:
    """Show the job as failed with its error (after the last retry, or an error no retry mends); commits."""
    db.session.rollback()
    message = error if isinstance(error, str) else _describe(error)
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .values(state=JobState.FAILED, error=message[:MAX_ERROR_CHARS], finished_at=datetime.now(UTC))
    )
    db.session.commit()
    forget_progress(job_id)


def note_retry(job_id: int, error: BaseException, delay: float) -> None:
    """Show the job as waiting for its retry in ``delay`` seconds, with the error that made it wait; commits.

    Its heartbeat is set to the retry's time, so that the sweep does not send it again meanwhile
    (a second chain of retries). A job busy elsewhere is left as its running worker shows it.
    """
    db.session.rollback()
    if isinstance(error, JobBusy):
        return
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .values(
            state=JobState.QUEUED,
            error=f"retrying: {_describe(error)}"[:MAX_ERROR_CHARS],
            heartbeat_at=datetime.now(UTC) + timedelta(seconds=delay),
        )
    )
    db.session.commit()


def _describe(error: BaseException) -> str:
    if isinstance(error, DBAPIError):
        return f"{type(error).__name__}: {error.orig}"
    text_ = str(error)
    return f"{type(error).__name__}: {text_}" if text_ else type(error).__name__
