"""The daily push: when it is due (a Bangkok time of day), and the loop that waits for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from academy.dates import BANGKOK
from academy.inputs import parse_int


def parse_time_of_day(text: str) -> clock_time:
    """HH:MM -> a time of day (ValueError when it is not one)."""
    hours_text, sep, minutes_text = text.strip().partition(":")
    hours, minutes = parse_int(hours_text, 0, 23), parse_int(minutes_text, 0, 59)
    if not sep or hours is None or minutes is None:
        raise ValueError(f"a time of day is HH:MM, not {text!r}")
    return clock_time(hours, minutes)


def next_run_at(now: datetime, at: clock_time, last_run: datetime | None, tz: ZoneInfo = BANGKOK) -> datetime:
    """When the daily push is next due (UTC): ``at`` o'clock local time, once a day.

    A slot that passed while no push ran (the scheduler was down) is due at once; a
    scheduler that has never run waits for the next slot.
    """
    local = now.astimezone(tz)
    today = datetime.combine(local.date(), at, tzinfo=tz)
    latest_slot = today if local >= today else today - timedelta(days=1)
    if last_run is not None and last_run < latest_slot:
        return now
    return (latest_slot + timedelta(days=1)).astimezone(UTC)


def run_daily(
    job: Callable[[], None],
    *,
    at: clock_time,
    last_run: Callable[[], datetime | None],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
    announce: Callable[[datetime], None] | None = None,
    runs: int | None = None,
) -> int:
    """Wait for each due time and run the job; ``runs`` stops after that many (None: forever).

    Sleeps in steps of at most a minute, so that a changed clock is noticed. Returns the
    number of runs. The job handles its own errors (a failed push must not stop the schedule).
    """
    done = 0
    attempted: datetime | None = None
    while runs is None or done < runs:
        previous = last_run()
        if attempted is not None and (previous is None or previous < attempted):
            previous = attempted  # a job that failed before recording its run still counts as run
        due = next_run_at(clock(), at, previous)
        if announce is not None:
            announce(due)
        while (remaining := (due - clock()).total_seconds()) > 0:
            sleep(min(remaining, 60.0))
        attempted = clock()
        job()
        done += 1
    return done
