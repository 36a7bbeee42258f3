"""The push: each agency's coverage record, through the outbox, to GDX's ingest URL.

Requests carry GDX's headers (``Consumer-Key`` and ``Token`` of our account at GDX) and the
entry's ``Idempotency-Key``, so that GDX can drop a record it already has: a record whose
attempt timed out may have arrived, and is sent again with the same key and bytes. The
delivery loop commits the hold on an entry before sending and the outcome after it, so
that nothing acknowledged is sent again and nothing unacknowledged is forgotten, even if
the process dies in between.
"""

from __future__ import annotations

import http.client
import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from academy.config import GdxSettings
from academy.dates import today
from academy.inputs import parse_int
from api.gdx.services.builds import build_records, current_build, feed_max_age
from api.gdx.services.outbox import (
    AttemptResult,
    Verdict,
    claim_entries,
    due_entry_ids,
    enqueue_records,
    finish_run,
    make_pending_due,
    next_due_at,
    pending_count,
    record_attempt,
    start_run,
)
from competencies.models import Framework
from competencies.services.coverage import Population

USER_AGENT = "e-workforce-academy-gdx-push/1"


class PushError(RuntimeError):
    """The push cannot go on: its settings are incomplete, or GDX refuses our credentials."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without its body: treat 3xx as an answer.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class GdxSender:
    """Sends one body to the ingest URL and says what the answer means."""

    def __init__(self, config: GdxSettings) -> None:
        problems = config.push_problems()
        if problems:
            raise PushError("; ".join(problems))
        self.config = config
        self._token: str | None = config.token or None
        self._opener = urllib.request.build_opener(_NoRedirects)

    def send(self, body: str, key: str) -> AttemptResult:
        """POST the body with GDX's headers and the idempotency key; never raises for network trouble."""
        token = self._token or self._obtain_token()
        request = urllib.request.Request(
            self.config.ingest_url,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
                "Consumer-Key": self.config.consumer_key,
                "Token": token,
                "Idempotency-Key": key,
            },
        )
        started = time.perf_counter()

        def elapsed() -> int:
            return round((time.perf_counter() - started) * 1000)

        try:
            with self._opener.open(request, timeout=self.config.timeout) as response:
                response.read()
                return AttemptResult(Verdict.DELIVERED, elapsed(), response.status)
        except urllib.error.HTTPError as error:
            with error:
                detail = _excerpt(error)
                return _judge(error.code, elapsed(), detail, error.headers.get("Retry-After"))
        except urllib.error.URLError as error:
            return AttemptResult(Verdict.RETRY, elapsed(), None, _describe(error.reason))
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as error:
            return AttemptResult(Verdict.RETRY, elapsed(), None, _describe(error))

    def prepare(self) -> None:
        """Have a token before the first entry is held (raises PushError when GDX gives none)."""
        self._obtain_token()

    def refresh_token(self) -> bool:
        """Get a new Token from GDX's validate URL; False when ours is a fixed token from the settings."""
        if not (self.config.validate_url and self.config.consumer_secret):
            return False
        self._token = None
        self._obtain_token()
        return True

    def _obtain_token(self) -> str:
        if self._token:
            return self._token
        if not (self.config.validate_url and self.config.consumer_secret):
            raise PushError("no GDX token: set ACADEMY_GDX_TOKEN or ACADEMY_GDX_VALIDATE_URL")
        query = {"ConsumerSecret": self.config.consumer_secret}
        if self.config.agent_id:
            query["AgentID"] = self.config.agent_id
        separator = "&" if "?" in self.config.validate_url else "?"
        request = urllib.request.Request(
            self.config.validate_url + separator + urllib.parse.urlencode(query),
            headers={"Consumer-Key": self.config.consumer_key, "Accept": "application/json", "User-Agent": USER_AGENT},
        )
        try:
            with self._opener.open(request, timeout=self.config.timeout) as response:
                token = json.loads(response.read()).get("Result")
        except urllib.error.HTTPError as error:
            error.close()
            raise PushError(f"GDX's validate URL answered {error.code}: check our Consumer-Key and secret") from None
        except (urllib.error.URLError, OSError, ValueError, AttributeError) as error:
            raise PushError(f"no token from GDX's validate URL: {_describe(error)}") from None
        if not isinstance(token, str) or not token:
            raise PushError("GDX's validate URL answered without a token (no Result)")
        self._token = token
        return token


def _excerpt(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(300).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        text = ""
    return f"HTTP {error.code} {error.reason}" + (f": {text}" if text else "")


def _judge(status: int, latency_ms: int, detail: str, retry_after: str | None) -> AttemptResult:
    if status in {401, 403}:
        return AttemptResult(Verdict.UNAUTHORISED, latency_ms, status, detail)
    # 408 and 429 are about the moment, not the record: like 5xx, they are worth another try.
    if status >= 500 or status in {408, 429}:
        seconds = parse_int(retry_after.strip()) if retry_after else None
        wait = float(seconds) if seconds is not None else None
        return AttemptResult(Verdict.RETRY, latency_ms, status, detail, wait)
    if 200 <= status < 300:
        return AttemptResult(Verdict.DELIVERED, latency_ms, status)
    return AttemptResult(Verdict.FAILED, latency_ms, status, detail)


def _describe(error: object) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)


# --- the delivery loop ------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    attempts: int = 0
    delivered: int = 0
    failed: int = 0
    #: Entries still waiting when the loop stopped (GDX still failing after max_wait).
    pending: int = 0


def _now() -> datetime:
    return datetime.now(UTC)


def deliver_outbox(
    sender: GdxSender,
    *,
    commit: Callable[[], None],
    progress: Callable[[int], None] | None = None,
    max_wait: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send every due entry once, and retry failed attempts for up to ``max_wait`` seconds.

    Entries due when the loop starts are all tried, however long that takes; retries stop
    at the deadline, leaving their entries pending for the next push. Up to
    ``concurrency`` requests are in flight; this thread alone uses the database, and
    ``commit`` (the caller's session commit) ends the unit of work: once after holding a
    batch, once after each outcome. Raises PushError when GDX refuses our credentials
    even with a fresh token.
    """
    config = sender.config
    workers = max(config.concurrency, 1)
    batch = workers * 8
    # Long enough for the whole batch to be tried, even if every request waits the full timeout.
    hold = timedelta(seconds=config.timeout * math.ceil(batch / workers) + 30)
    started_at = _now()
    deadline = time.monotonic() + max_wait
    report = DeliveryReport()
    refreshed = False
    if pending_count():
        sender.prepare()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gdx-push") as pool:
        while True:
            # Past the deadline only entries not yet tried in this loop go (a retry is due after the start).
            past_deadline = time.monotonic() > deadline
            entries = claim_entries(due_entry_ids(started_at if past_deadline else _now(), batch), _now(), hold)
            if not entries:
                due = next_due_at()
                if due is None or past_deadline:
                    break
                wait = (due - _now()).total_seconds()
                if time.monotonic() + wait > deadline:
                    break
                sleep(min(max(wait, 0.005), 60.0))
                continue
            commit()  # held: a sender that dies from here on leaves them due again when the hold ends
            started = _now()
            futures = {pool.submit(sender.send, entry.body, entry.idempotency_key): entry for entry in entries}
            refused: str | None = None
            for future in as_completed(futures):
                entry = futures[future]
                if future.cancelled():  # never sent: not an attempt, and free for the next one
                    entry.attempts -= 1
                    entry.leased_until = None
                    commit()
                    continue
                result = future.result()
                record_attempt(
                    entry, result, started_at=started, now=_now(), base=config.retry_base, cap=config.retry_max
                )
                commit()
                report.attempts += 1
                if result.verdict is Verdict.UNAUTHORISED:
                    refused = result.error
                    for waiting in futures:  # the same token would be refused for the rest of the batch
                        waiting.cancel()
                elif result.verdict is Verdict.DELIVERED:
                    report.delivered += 1
                    refreshed = False
                elif result.verdict is Verdict.FAILED:
                    report.failed += 1
                if progress is not None and result.verdict in {Verdict.DELIVERED, Verdict.FAILED}:
                    progress(1)
            if refused is not None:
                # GDX let our token lapse: one new token, then the refused entries (due at once) go again.
                if refreshed or not sender.refresh_token():
                    report.pending = pending_count()
                    raise PushError(f"GDX refused our Consumer-Key and Token ({refused}); nothing more was sent")
                refreshed = True
    report.pending = pending_count()
    return report


# --- the push ----------------------------------------------------------------------------------------


def coverage_records(fiscal_year: int, framework: Framework, population: Population) -> list[dict[str, Any]]:
    """The feed's records of every agency, as published (suppressed, no personal data): those of its kept build.

    The build the pull feed serves (api.gdx.services.builds), or a new one made and kept the
    same way: push and pull publish the same figures, and a push after a read builds nothing.
    """
    build = current_build(fiscal_year, framework, population, feed_max_age())
    return [json.loads(body) for body in build_records(build, 0, build.total)]


@dataclass(frozen=True)
class PushOutcome:
    run_id: int
    enqueued: int
    report: DeliveryReport


def push_coverage(
    fiscal_year: int,
    framework: Framework,
    sender: GdxSender,
    *,
    commit: Callable[[], None],
    population: Population = Population.IT,
    trigger: str = "cli",
    max_wait: float = 600.0,
    on_total: Callable[[int], None] | None = None,
    progress: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PushOutcome:
    """Enqueue every agency's record for the fiscal year, then deliver everything pending.

    Records enqueued earlier and not yet delivered are retried at once, with their own keys.
    """
    now = _now()
    run = start_run(fiscal_year, population.value, trigger, now)
    records = coverage_records(fiscal_year, framework, population)
    run.enqueued = enqueue_records(records, run, today(now), now)
    make_pending_due(now)
    commit()
    if on_total is not None:
        on_total(pending_count())
    try:
        report = deliver_outbox(sender, commit=commit, progress=progress, max_wait=max_wait, sleep=sleep)
    except PushError as error:
        finish_run(run, _now(), delivered=0, failed=0, pending=pending_count(), error=str(error))
        commit()
        raise
    finish_run(run, _now(), delivered=report.delivered, failed=report.failed, pending=report.pending)
    commit()
    return PushOutcome(run.id, run.enqueued, report)
