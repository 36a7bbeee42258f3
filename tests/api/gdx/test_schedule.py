"""The daily push: when it is due in Bangkok, and the loop that waits for it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from flask import Flask

from academy.config import ConfigError, GdxSettings
from api.gdx.services.schedule import next_run_at, parse_time_of_day, run_daily

AT = time(2, 0)  # 02:00 Asia/Bangkok = 19:00 UTC the day before


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "last_run", "due"),
    [
        # Before today's slot, yesterday's done: today at 02:00 Bangkok.
        ("2026-11-22 18:30", "2026-11-21 19:00", "2026-11-22 19:00"),
        # Just after today's slot, already run: tomorrow's.
        ("2026-11-22 19:05", "2026-11-22 19:00", "2026-11-23 19:00"),
        # Today's slot passed without a run (the scheduler was down): at once.
        ("2026-11-22 23:00", "2026-11-21 19:00", "2026-11-22 23:00"),
        # Never run: wait for the next slot rather than pushing on start-up.
        ("2026-11-22 12:00", None, "2026-11-22 19:00"),
        ("2026-11-22 19:00", None, "2026-11-23 19:00"),
        # Bangkok midnight has passed but not 02:00: the slot is still today's (local) date.
        ("2026-11-22 17:30", "2026-11-21 19:00", "2026-11-22 19:00"),
    ],
)
def test_the_push_is_due_once_a_day_at_the_bangkok_time(now: str, last_run: str | None, due: str) -> None:
    assert next_run_at(utc(now), AT, utc(last_run) if last_run else None) == utc(due)


def test_the_time_of_day_is_read_strictly() -> None:
    assert parse_time_of_day("02:30") == time(2, 30) and parse_time_of_day(" 7:05 ") == time(7, 5)
    for wrong in ("24:00", "2", "02:60", "two"):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_time_of_day(wrong)


def test_the_loop_sleeps_until_each_due_time_and_runs_the_job() -> None:
    clock = [utc("2026-11-22 18:00")]
    runs: list[datetime] = []
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += timedelta(seconds=seconds)

    done = run_daily(
        lambda: runs.append(clock[0]),
        at=AT,
        last_run=lambda: runs[-1] if runs else utc("2026-11-21 19:00"),
        clock=lambda: clock[0],
        sleep=sleep,
        runs=3,
    )
    assert done == 3
    assert runs == [utc("2026-11-22 19:00"), utc("2026-11-23 19:00"), utc("2026-11-24 19:00")]
    assert max(sleeps) <= 60.0  # it wakes at least every minute


def test_a_job_that_fails_before_recording_its_run_does_not_run_again_at_once() -> None:
    clock = [utc("2026-11-22 23:00")]  # today's slot was missed
    runs: list[datetime] = []

    def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    run_daily(
        lambda: runs.append(clock[0]),
        at=AT,
        last_run=lambda: utc("2026-11-21 19:00"),  # the job never records a run
        clock=lambda: clock[0],
        sleep=sleep,
        runs=2,
    )
    assert runs == [utc("2026-11-22 23:00"), utc("2026-11-23 19:00")]


def test_the_schedule_refuses_settings_that_cannot_work_at_start_not_at_two_in_the_morning(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["academy", "gdx-schedule", "--once"])
    assert result.exit_code == 1 and "ACADEMY_GDX_INGEST_URL must be an http(s) URL" in result.output
    wrong = app.test_cli_runner().invoke(args=["academy", "gdx-schedule", "--at", "25:00"])
    assert wrong.exit_code == 1 and "HH:MM" in wrong.output


def test_gdx_settings_come_from_the_environment_and_are_checked() -> None:
    settings = GdxSettings.from_environ(
        {"ACADEMY_GDX_INGEST_URL": " https://gdx.example/ingest ", "ACADEMY_GDX_PUSH_AT": "3:5"}
    )
    assert settings.ingest_url == "https://gdx.example/ingest" and settings.push_at == "03:05"
    assert settings.flask_config()["ACADEMY_GDX_TOKEN_IDLE_MINUTES"] == 60.0
    for name, value in (
        ("ACADEMY_GDX_PUSH_AT", "noon"),
        ("ACADEMY_GDX_TIMEOUT", "0"),
        ("ACADEMY_GDX_TIMEOUT", "soon"),
        ("ACADEMY_GDX_CONCURRENCY", "0"),
    ):
        with pytest.raises(ConfigError, match=name):
            GdxSettings.from_environ({name: value})
