"""The Celery app, configured from the ``ACADEMY_*`` settings; every task runs in a Flask app context.

The pattern of Flask's docs ("Background Tasks with Celery"): a Task class whose ``__call__``
pushes the app context, so that tasks use ``db.session`` and the config as requests do.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.beat import BeatLazyFunc
from celery.schedules import crontab, schedstate, schedule
from flask import Flask


class on_the_clock(schedule):
    """Every N seconds at the clock's multiples of N (since the epoch): two beats fire at the same moments.

    Celery's plain interval counts from each beat's start, so two beats would fire out of step,
    each in its own "slot"; crontab's finest step is a minute. A slot task keyed by
    ``slot_number(N)`` therefore names the same slot in every beat's message.
    """

    def __init__(self, seconds: float, app: Any = None) -> None:
        super().__init__(run_every=timedelta(seconds=seconds), app=app)

    def is_due(self, last_run_at: datetime) -> schedstate:
        step = self.run_every.total_seconds()
        now = self.now().timestamp()
        slot_start = math.floor(now / step) * step
        next_in = max(slot_start + step - now, 0.01)
        return schedstate(self.maybe_make_aware(last_run_at).timestamp() < slot_start, next_in)

    def __reduce__(self) -> Any:
        return self.__class__, (self.run_every.total_seconds(),)


def sent_now() -> dict[str, Any]:
    """The kwargs of a slot entry: the moment beat sends it (evaluated at each send), which names its slot.

    A worker that takes the message late (a backlog, a busy machine) still claims the slot the
    beat meant, not the one it runs in.
    """
    return {"sent_at": BeatLazyFunc(time.time)}


def slot_number(seconds: float, now: datetime | None = None) -> int:
    """The number of the clock's current N-second slot (what ``on_the_clock(N)`` fires at the start of)."""
    return math.floor((now or datetime.now()).timestamp() / seconds)


def broker_options(config: dict[str, Any] | Any) -> dict[str, Any]:
    """The transport options of the configured broker (Redis: redelivery, key prefix; SQL: polling)."""
    url = str(config["ACADEMY_CELERY_BROKER_URL"])
    if url.startswith(("redis://", "rediss://", "redis+socket://")):
        options: dict[str, Any] = {
            "visibility_timeout": float(config["ACADEMY_CELERY_VISIBILITY_TIMEOUT"]),
            # Look for abandoned messages (their worker died) every few seconds, not every 100.
            "unacked_restore_interval": 2,
            "unacked_restore_throttle": 1,
        }
        if config["ACADEMY_CELERY_KEY_PREFIX"]:
            options["global_keyprefix"] = config["ACADEMY_CELERY_KEY_PREFIX"]
        return options
    # The SQL transport hands its options to create_engine: none (it polls every second).
    return {}


def init_celery(app: Flask) -> Celery:
    """Create the Celery app of this Flask app (``app.extensions["celery"]``); nothing connects yet."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    config = app.config
    # Beat keeps its schedule file there (the web and the workers keep the jobs' files there too).
    Path(config["ACADEMY_JOBS_STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    hours, _sep, minutes = str(config["ACADEMY_GDX_PUSH_AT"]).partition(":")
    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=config["ACADEMY_CELERY_BROKER_URL"],
        result_backend=config["ACADEMY_CELERY_RESULT_BACKEND"] or None,
        task_ignore_result=not config["ACADEMY_CELERY_RESULT_BACKEND"],
        broker_transport_options=broker_options(config),
        broker_connection_retry_on_startup=True,
        task_default_queue=config["ACADEMY_CELERY_QUEUE"],
        # A task is acknowledged when it has finished, not when it starts: a worker killed
        # mid-task (kill -9, a lost machine) leaves the message to another worker.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per process: a long import does not hold others hostage.
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        timezone="Asia/Bangkok",
        enable_utc=True,
        beat_schedule_filename=str(Path(config["ACADEMY_JOBS_STORAGE_DIR"]) / "celerybeat-schedule"),
        beat_schedule={
            # Every beat sends this; the job's unique task key makes the day's slot run once.
            "gdx-push": {
                "task": "jobs.gdx_push_slot",
                "schedule": crontab(hour=int(hours), minute=int(minutes)),
                "kwargs": sent_now(),
            },
            "jobs-sweep": {"task": "jobs.sweep", "schedule": 60.0},
            # Credentials queued by the ingest (ACADEMY_CREDENTIALS_ISSUE_IN=job) whose task was not sent.
            "credentials-queue": {"task": "credentials.issue_queued", "schedule": 60.0},
            # Reminders and notifications (academy.notifications), each sent once, in the hour's slot.
            "notifications": {"task": "jobs.notifications_slot", "schedule": crontab(minute=5), "kwargs": sent_now()},
            # Housekeeping, once a day at night (Bangkok): old job files; LRS partitions three months ahead.
            "jobs-cleanup": {
                "task": "jobs.daily_slot",
                "schedule": crontab(hour=3, minute=30),
                "args": ["cleanup"],
                "kwargs": sent_now(),
            },
            "lrs-partitions": {
                "task": "jobs.daily_slot",
                "schedule": crontab(hour=3, minute=45),
                "args": ["lrs_partitions"],
                "kwargs": sent_now(),
            },
        },
        worker_hijack_root_logger=False,
    )
    from api.gdx.services.builds import rebuild_every

    feed_every = rebuild_every(int(config["ACADEMY_GDX_FEED_MAX_AGE"]))
    if feed_every:
        # The GDX feeds most read, built ahead of reads (ACADEMY_GDX_FEED_MAX_AGE): a first page is served at once.
        celery.conf.beat_schedule["gdx-feed-builds"] = {
            "task": "gdx.build_feeds",
            "schedule": on_the_clock(feed_every),
            "kwargs": sent_now(),
        }
    probe = int(config["ACADEMY_JOBS_PROBE_SECONDS"])
    if probe:
        celery.conf.beat_schedule["jobs-probe"] = {
            "task": "jobs.probe_slot",
            "schedule": on_the_clock(probe),
            "kwargs": sent_now(),
        }
    celery.set_default()
    app.extensions["celery"] = celery
    return celery
