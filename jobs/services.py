"""Jobs: create and send them, who may see them, their files and download links, the sweep."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from academy.auth.permissions import people_scope
from academy.db import db
from academy.org.models import Agency
from academy.org.services import subtree_condition
from jobs.models import Job, JobState
from jobs.progress import read_progress

#: The Celery task that runs any job (jobs/tasks.py).
RUN_TASK = "jobs.run"
#: Kinds of job whose data is their starter's alone (*My data*): nobody else sees them, admins included.
PRIVATE_KINDS = frozenset({"my_data_export"})


def storage_root() -> Path:
    return Path(current_app.config["ACADEMY_JOBS_STORAGE_DIR"])


def new_file(folder: str, suffix: str) -> tuple[Path, str]:
    """A fresh path under the storage folder and its name relative to it (what a job keeps)."""
    relative = f"{folder}/{uuid.uuid4().hex}{suffix}"
    path = storage_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, relative


def job_file(job: Job) -> Path | None:
    if not job.file_path:
        return None
    root = storage_root().resolve()
    path = (root / job.file_path).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def create_job(
    kind: str,
    *,
    started_by: Any = None,
    scope: Sequence[Agency] | None = None,
    params: dict[str, Any] | None = None,
    task_key: str | None = None,
    parent: Job | None = None,
) -> Job:
    """Add a queued job (flushes); it is sent to the workers once the transaction commits."""
    job = Job(
        task_key=task_key or f"{kind}:{uuid.uuid4().hex}",
        kind=kind,
        started_by_id=getattr(started_by, "id", None),
        scope_agency_ids=None if scope is None else sorted(agency.id for agency in scope),
        params=params or {},
        state=JobState.QUEUED,
        done=0,
        attempts=0,
        parent_id=parent.id if parent else None,
        created_at=datetime.now(UTC),
    )
    db.session.add(job)
    db.session.flush()
    send_after_commit(job.id)
    return job


def claim_job(kind: str, task_key: str, params: dict[str, Any] | None = None) -> Job | None:
    """Create the job of a task key unless it exists (a schedule slot's lock); commits. None: taken already."""
    try:
        with db.session.begin_nested():
            job = create_job(kind, params=params, task_key=task_key)
    except IntegrityError:
        db.session.rollback()
        return None
    db.session.commit()
    return job


def send(job_id: int) -> None:
    """Hand the job to the workers (a message on the broker)."""
    current_app.extensions["celery"].send_task(RUN_TASK, args=[job_id])


def send_after_commit(job_id: int) -> None:
    """Send the job when the session's transaction commits, so that the worker finds its row."""
    session: Session = db.session()
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def after_commit(_session: Session) -> None:
        with app.app_context():
            send(job_id)

    event.listen(session, "after_commit", after_commit, once=True)


# --- who may see what --------------------------------------------------------------------


def visible_jobs(user: Any) -> Any:
    """The jobs a user sees: admins all, an HR officer those they started within their scope, else none."""
    query = select(Job).order_by(Job.created_at.desc(), Job.id.desc())
    scope = people_scope(user)
    if scope is None:
        return query.where(or_(Job.kind.not_in(PRIVATE_KINDS), Job.started_by_id == user.id))
    if not scope:
        return query.where(Job.id.is_(None))
    return query.where(Job.started_by_id == user.id)


def _within(job: Job, scope: list[Agency]) -> bool:
    if job.scope_agency_ids is None:
        return False
    wanted = set(job.scope_agency_ids)
    inside = set(db.session.scalars(select(Agency.id).where(Agency.id.in_(wanted), subtree_condition(scope))))
    return inside == wanted


def can_see(user: Any, job: Job) -> bool:
    """Whether a user may see a job and its file: its starter (still within the job's scope), or an admin.

    A private job (*My data*) only its starter: a person's own data goes to that person alone.
    """
    if job.kind in PRIVATE_KINDS:
        return job.started_by_id is not None and job.started_by_id == getattr(user, "id", None)
    scope = people_scope(user)
    if scope is None:
        return True
    return bool(scope) and job.started_by_id == user.id and _within(job, scope)


# --- download links ----------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="jobs.download")


def download_token(job: Job, user: Any) -> str:
    """A link's token: this job's file, for this user, for ACADEMY_JOBS_DOWNLOAD_MINUTES."""
    return str(_serializer().dumps({"job": job.id, "user": user.id}))


def check_download_token(token: str, job: Job, user: Any) -> bool:
    max_age = int(float(current_app.config["ACADEMY_JOBS_DOWNLOAD_MINUTES"]) * 60)
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is one
        return False
    return isinstance(data, dict) and data.get("job") == job.id and data.get("user") == getattr(user, "id", None)


# --- the job as the page and the JSON show it ----------------------------------------------


@dataclass(frozen=True)
class JobView:
    job: Job
    done: int
    total: int | None

    @property
    def percent(self) -> int:
        if self.job.state is JobState.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)


def job_view(job: Job) -> JobView:
    done, total, _alive = read_progress(job)
    return JobView(job, done, total)


def rerun_job(job: Job, user: Any) -> Job:
    """A new job with the same kind, scope and parameters as a failed one."""
    if job.state is not JobState.FAILED:
        raise ValueError("only a failed job can be run again")
    new = create_job(job.kind, started_by=user, params=dict(job.params), parent=job)
    new.scope_agency_ids = job.scope_agency_ids
    return new


# --- the sweep: jobs whose worker went silent --------------------------------------------


def sweep_stale(now: datetime | None = None) -> list[int]:
    """Send again the jobs queued or running with no sign of life for ACADEMY_JOBS_STALE_SECONDS; commits.

    Brokers that keep no unacknowledged message after a worker dies (the embedded SQL broker)
    would lose its job: this finds it. A job still running elsewhere is not run twice: the
    job lock makes the second delivery wait, and a finished job's delivery does nothing.
    """
    now = now or datetime.now(UTC)
    limit = now - timedelta(seconds=float(current_app.config["ACADEMY_JOBS_STALE_SECONDS"]))
    candidates = db.session.scalars(
        select(Job).where(
            Job.state.in_([JobState.QUEUED, JobState.RUNNING]),
            or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < limit),
            Job.created_at < limit,
        )
    ).all()
    stale = []
    for job in candidates:
        _done, _total, alive = read_progress(job)
        if alive is not None and alive >= limit:
            continue
        stale.append(job.id)
    if stale:
        db.session.execute(update(Job).where(Job.id.in_(stale)).values(heartbeat_at=now))
    db.session.commit()
    for job_id in stale:
        send(job_id)
    return stale


# --- the clean-up: old files of finished jobs ------------------------------------------------

#: The storage folders whose files the clean-up may delete (not progress/ nor beat's schedule file).
CLEANED_FOLDERS = ("uploads", "results")


def clean_up_files(now: datetime | None = None) -> dict[str, int]:
    """Delete the uploads and result files older than ACADEMY_JOBS_KEEP_DAYS that no live job needs (flushes).

    A file is kept while a job that is queued, running or finished within the period names it
    (its result, or its upload: an import follows its dry run with the same file). Old finished
    jobs lose their download (the page no longer offers it); uploads nobody's job names (an
    upload that was cut off) go too once old.
    """
    now = now or datetime.now(UTC)
    limit = now - timedelta(days=int(current_app.config["ACADEMY_JOBS_KEEP_DAYS"]))
    live = db.session.execute(
        select(Job.file_path, Job.params).where(
            or_(Job.state.in_([JobState.QUEUED, JobState.RUNNING]), Job.finished_at >= limit)
        )
    ).all()
    needed = {path for path, _params in live if path}
    needed |= {str(params["upload"]) for _path, params in live if isinstance(params, dict) and params.get("upload")}
    root = storage_root()
    deleted = freed = 0
    for folder in CLEANED_FOLDERS:
        if not (root / folder).is_dir():
            continue
        for path in (root / folder).iterdir():
            relative = f"{folder}/{path.name}"
            if not path.is_file() or relative in needed:
                continue
            stat = path.stat()
            if datetime.fromtimestamp(stat.st_mtime, UTC) >= limit:
                continue
            path.unlink(missing_ok=True)
            deleted += 1
            freed += stat.st_size
    cleared = db.session.execute(
        update(Job)
        .where(Job.state.in_([JobState.SUCCEEDED, JobState.FAILED]), Job.finished_at < limit)
        .where(Job.file_path.is_not(None))
        .values(file_path=None, file_name=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    removed = int(cleared.rowcount or 0)  # type: ignore[attr-defined]
    return {"files_deleted": deleted, "bytes_freed": freed, "downloads_removed": removed}
