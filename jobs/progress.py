"""A running job's progress, written where the web can read it while the job's transaction is still open.

PostgreSQL: the job's row, from a connection of its own (autocommit), so progress shows at
once. SQLite lets one writer at a time, and the job's own transaction holds the write lock
for the whole import: progress goes to a small file beside the job's files instead (SQLite
runs on one machine, so the web and the worker share the folder).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import text, update

from academy.db import db
from jobs.models import Job

#: Seconds between two writes of progress (each costs a round trip or a file replace).
WRITE_EVERY = 0.5


def _progress_file(job_id: int) -> Path:
    return Path(current_app.config["ACADEMY_JOBS_STORAGE_DIR"]) / "progress" / f"{job_id}.json"


def _on_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


class Progress:
    """Counts a job's units of work and reports them, at most every WRITE_EVERY seconds."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.done = 0
        self.total: int | None = None
        self._written = 0.0

    def set_total(self, total: int | None) -> None:
        self.total = total
        self._write()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if time.monotonic() - self._written >= WRITE_EVERY:
            self._write()

    def beat(self) -> None:
        """Say the job is alive without any new progress."""
        self._write()

    def _write(self) -> None:
        self._written = time.monotonic()
        now = datetime.now(UTC)
        if _on_sqlite():
            path = _progress_file(self.job_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"done": self.done, "total": self.total}), encoding="utf-8")
            os.replace(temporary, path)
            return
        try:
            with db.engine.connect() as connection:
                # Never wait for the job's row: progress is worth less than the job.
                connection.execute(text("SET LOCAL lock_timeout = '1s'"))
                connection.execute(
                    update(Job).where(Job.id == self.job_id).values(done=self.done, total=self.total, heartbeat_at=now)
                )
                connection.commit()
        except Exception:
            current_app.logger.warning("job %s: progress not saved", self.job_id, exc_info=True)


def read_progress(job: Job) -> tuple[int, int | None, datetime | None]:
    """(done, total, last sign of life) of a job, from wherever its worker writes them."""
    if _on_sqlite():
        path = _progress_file(job.id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            alive = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except (OSError, ValueError):
            return job.done, job.total, job.heartbeat_at
        if job.finished:
            return job.done, job.total, alive
        return int(data["done"]), data.get("total"), alive
    return job.done, job.total, job.heartbeat_at


def forget_progress(job_id: int) -> None:
    if _on_sqlite():
        _progress_file(job_id).unlink(missing_ok=True)
