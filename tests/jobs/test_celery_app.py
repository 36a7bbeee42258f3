"""The Celery app: its settings from ACADEMY_*, reliability options, the beat schedule in Bangkok time, backoff."""

from __future__ import annotations

from datetime import UTC, datetime

from celery.schedules import crontab
from flask import Flask

from academy import create_app
from academy.config import JobsSettings
from jobs.celery_app import broker_options, on_the_clock, slot_number
from jobs.tasks import RETRY_MAX_DELAY, backoff
from tests.support.app import make_settings


def test_reliability_options(app: Flask) -> None:
    conf = app.extensions["celery"].conf
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_url == "memory://" and conf.timezone == "Asia/Bangkok"


def test_the_gdx_push_is_a_daily_beat_slot_at_the_bangkok_time() -> None:
    app = create_app(settings=make_settings("sqlite://", ACADEMY_GDX_PUSH_AT="03:15"))
    entry = app.extensions["celery"].conf.beat_schedule["gdx-push"]
    assert entry["task"] == "jobs.gdx_push_slot"
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab) and schedule.hour == {3} and schedule.minute == {15}
    # 03:15 in Bangkok is 20:15 UTC the day before.
    now = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    schedule.nowfun = lambda: now
    due = schedule.remaining_estimate(now)
    assert 14 * 60 <= due.total_seconds() <= 16 * 60


def test_broker_settings() -> None:
    assert JobsSettings.from_environ({}).broker_url.startswith("sqla+sqlite:///")
    redis = JobsSettings.from_environ(
        {
            "ACADEMY_CELERY_BROKER_URL": "redis://cache:6379/2",
            "ACADEMY_CELERY_KEY_PREFIX": "academy:",
            "ACADEMY_CELERY_VISIBILITY_TIMEOUT": "7200",
        }
    ).flask_config()
    assert redis["ACADEMY_CELERY_BROKER_URL"] == "redis://cache:6379/2"
    options = broker_options(redis)
    assert options["global_keyprefix"] == "academy:" and options["visibility_timeout"] == 7200.0
    rabbit = JobsSettings.from_environ({"ACADEMY_CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"})
    assert broker_options(rabbit.flask_config()) == {}


def test_backoff_grows_exponentially_up_to_a_ceiling() -> None:
    for retries in range(12):
        delay = min(RETRY_MAX_DELAY, 2.0 * 2**retries)
        assert delay / 2 <= backoff(retries) <= delay


def test_the_probe_fires_on_the_clocks_multiples() -> None:
    assert "jobs-probe" not in create_app(settings=make_settings("sqlite://")).extensions["celery"].conf.beat_schedule
    app = create_app(settings=make_settings("sqlite://", ACADEMY_JOBS_PROBE_SECONDS="5"))
    entry = app.extensions["celery"].conf.beat_schedule["jobs-probe"]
    schedule = entry["schedule"]
    assert entry["task"] == "jobs.probe_slot" and isinstance(schedule, on_the_clock)
    now = datetime(2026, 12, 6, 10, 0, 12, 500000, tzinfo=UTC)  # 2.5 s into the slot 10:00:10-15
    schedule.nowfun = lambda: now
    # Not run since 10:00:09: due now, and next at 10:00:15 (whenever this beat started).
    due, next_in = schedule.is_due(datetime(2026, 12, 6, 10, 0, 9, tzinfo=UTC))
    assert due and next_in == 2.5
    due, next_in = schedule.is_due(datetime(2026, 12, 6, 10, 0, 10, 100000, tzinfo=UTC))
    assert not due and next_in == 2.5
    assert slot_number(5, now) == int(now.timestamp()) // 5
