"""The job table: what users see of background work (Celery keeps the queueing, retries and schedules)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from academy.db import Base, UtcDateTime, string_enum


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


#: The states a job ends in: a delivery that finds one of these does nothing.
FINISHED = frozenset({JobState.SUCCEEDED, JobState.FAILED})


class Job(Base):
    """One piece of background work: who started it, what, in which scope, how far it got, what came of it."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_started_by_id_created_at", "started_by_id", "created_at"),
        Index("ix_jobs_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What makes two deliveries (or two beats) the same job: unique, so the second insert fails.
    task_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: Nobody for the schedule's jobs (beat).
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The agencies whose data the job reads or writes (with the units beneath); None: the whole platform.
    scope_agency_ids: Mapped[list[int] | None] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(string_enum(JobState, "job_state"), default=JobState.QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    #: A short summary of the outcome (counts), shown on the job's page.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The file to download, relative to the jobs storage folder, and the name it downloads as.
    file_path: Mapped[str | None] = mapped_column(String(300))
    file_name: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: The job this one follows (an import follows its dry run; a re-run its failed job).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: When a worker last said the job is alive (the sweep sends stale ones to the workers again).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED
