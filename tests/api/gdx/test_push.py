"""The push to GDX, against a real HTTP server on 127.0.0.1 that fails on purpose.

Each test asserts what GDX must see: every record stored exactly once, whatever failed on
the way, and that the outbox and the delivery log tell the same story.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from academy.config import GdxSettings
from academy.db import db
from api.gdx.models import (
    DeliveryOutcome,
    GdxDelivery,
    GdxFeedSnapshot,
    GdxOutboxEntry,
    GdxPushRun,
    OutboxStatus,
)
from api.gdx.services.outbox import claim_entries, enqueue_records, record_key, retry_failed
from api.gdx.services.push import GdxSender, PushError, PushOutcome, push_coverage
from competencies.models import Framework
from tests.support.gdx import FISCAL_YEAR, Government, Receiver

PUBLISHED = {"71", "71001", "7100101", "71002"}


def config_for(url: str, **overrides: Any) -> GdxSettings:
    settings: dict[str, Any] = {
        "ingest_url": url,
        "consumer_key": "our-key",
        "token": "our-token",
        "timeout": 0.3,
        "retry_base": 0.01,
        "retry_max": 0.05,
    }
    return GdxSettings(**{**settings, **overrides})


def push(standard: Framework, config: GdxSettings, max_wait: float = 10.0) -> PushOutcome:
    return push_coverage(FISCAL_YEAR, standard, GdxSender(config), commit=db.session.commit, max_wait=max_wait)


def entries() -> list[GdxOutboxEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(GdxOutboxEntry).order_by(GdxOutboxEntry.id)))


def attempts_of(entry: GdxOutboxEntry) -> list[GdxDelivery]:
    query = select(GdxDelivery).where(GdxDelivery.outbox_id == entry.id).order_by(GdxDelivery.attempt)
    return list(db.session.scalars(query))


def assert_stored_exactly_once(receiver: Receiver) -> None:
    """Each outbox entry's record is stored once, and no key was sent again after a 200."""
    outbox = entries()
    assert {e.agency_code for e in outbox} == PUBLISHED
    assert set(receiver.stored) == {e.idempotency_key for e in outbox}
    assert all(e.status is OutboxStatus.DELIVERED for e in outbox)
    for entry in outbox:
        answers = [answer for key, answer in receiver.requests if key == entry.idempotency_key]
        assert answers.count("ok") == 1 and answers[-1] == "ok", (entry.agency_code, answers)
        assert receiver.stored[entry.idempotency_key]["agency_code"] == entry.agency_code
        # The log has a row per attempt, in order, the last one the delivery; one per request GDX saw,
        # and more for those that never reached it (connection refused).
        log = attempts_of(entry)
        assert [row.attempt for row in log] == list(range(1, entry.attempts + 1))
        assert len([row for row in log if row.status_code is not None or row.error == "timed out"]) == len(answers)
        assert log[-1].outcome is DeliveryOutcome.DELIVERED and log[-1].status_code == 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_agency_record_is_delivered_once_with_gdx_headers(
    standard: Framework, government: Government, start_receiver: Callable[..., Receiver]
) -> None:
    receiver = start_receiver()
    outcome = push(standard, config_for(receiver.url))
    assert (outcome.enqueued, outcome.report.delivered, outcome.report.pending) == (4, 4, 0)
    assert_stored_exactly_once(receiver)
    body = receiver.stored[entries()[1].idempotency_key]
    assert body["agency_code"] == "71001" and body["fiscal_year"] == FISCAL_YEAR and body["headcount"] == 23
    assert body["record_id"] == entries()[1].idempotency_key and body["folded_units"] == ["7100102"]
    run = db.session.get(GdxPushRun, outcome.run_id)
    assert run is not None and (run.enqueued, run.delivered, run.failed, run.pending) == (4, 4, 0, 0)

    # The same figures on the same day are the same records: nothing is sent again.
    again = push(standard, config_for(receiver.url))
    assert again.enqueued == 0 and len(receiver.requests) == 4

    # A changed figure makes new records of the agencies it touches, and only of those.
    person = next(p for p in government.people if p.agency_id == government.other.id)
    db.session.delete(person)
    db.session.flush()
    changed = push(standard, config_for(receiver.url))
    assert changed.enqueued == 2  # the department and its ministry
    assert len(receiver.requests) == 6 and len(receiver.stored) == 6


def test_half_of_the_requests_failing_still_delivers_each_record_once(
    standard: Framework, government: Government, start_receiver: Callable[..., Receiver]
) -> None:
    failures = [("status", 500), ("status", 503), ("status", 429, 0), ("status", 502)]
    receiver = start_receiver(lambda n, key: failures[(n // 2) % 4] if n % 2 == 0 else ("ok",))
    outcome = push(standard, config_for(receiver.url))
    assert outcome.report.delivered == 4 and outcome.report.pending == 0
    assert_stored_exactly_once(receiver)
    failed_answers = [answer for _key, answer in receiver.requests if answer != "ok"]
    assert len(failed_answers) == 4 and len(receiver.requests) == 8
    retries = db.session.scalars(select(GdxDelivery).where(GdxDelivery.outcome == DeliveryOutcome.RETRY)).all()
    assert sorted(row.status_code or 0 for row in retries) == sorted(failed_answers)
    assert all(row.error and row.error.startswith(f"HTTP {row.status_code}") for row in retries)


def test_a_timed_out_attempt_is_sent_again_with_the_same_key_and_stored_once(
    standard: Framework, government: Government, start_receiver: Callable[..., Receiver]
) -> None:
    # The first two requests are stored, but answered after the sender has given up.
    receiver = start_receiver(lambda n, key: ("store_then_hang", 1.0) if n < 2 else ("ok",))
    outcome = push(standard, config_for(receiver.url))
    assert outcome.report.delivered == 4
    assert len(receiver.stored) == 4
    hung = [key for key, answer in receiver.requests if answer == "store_then_hang"]
    assert len(hung) == 2
    for entry in entries():
        if entry.idempotency_key in hung:
            assert receiver.count(entry.idempotency_key) == 2 and entry.attempts == 2
            first = attempts_of(entry)[0]
            assert (first.outcome, first.status_code, first.error) == (DeliveryOutcome.RETRY, None, "timed out")
            assert first.latency_ms >= 250
        else:
            assert receiver.count(entry.idempotency_key) == 1
    # The bodies sent for one key are the same bytes: GDX can compare them if it likes.
    assert all(e.status is OutboxStatus.DELIVERED for e in entries())


def test_while_gdx_is_down_nothing_is_lost_and_after_it_recovers_nothing_is_sent_twice(
    standard: Framework, government: Government, start_receiver: Callable[..., Receiver]
) -> None:
    port = free_port()
    down = push(standard, config_for(f"http://127.0.0.1:{port}/ingest"), max_wait=0.2)
    assert (down.report.delivered, down.report.pending) == (0, 4)
    outbox = entries()
    assert all(e.status is OutboxStatus.PENDING and e.attempts >= 1 for e in outbox)
    assert all("Connection refused" in (row.error or "") for e in outbox for row in attempts_of(e))
    run = db.session.get(GdxPushRun, down.run_id)
    assert run is not None and run.pending == 4

    receiver = start_receiver(port=port)
    recovered = push(standard, config_for(receiver.url))
    assert recovered.enqueued == 0 and recovered.report.delivered == 4  # the same records, the same keys
    assert_stored_exactly_once(receiver)
    push(standard, config_for(receiver.url))
    assert len(receiver.requests) == 4  # an acknowledged record is never sent again


def test_a_refused_record_fails_without_endless_retries_and_can_be_requeued(
    standard: Framework, government: Government, start_receiver: Callable[..., Receiver]
) -> None:
    refused: set[str] = set()

    def policy(n: int, key: str) -> tuple[Any, ...]:
        if n == 0 or key in refused:
            refused.add(key)
            return ("status", 422)
        return ("ok",)

    receiver = start_receiver(policy)
    outcome = push(standard, config_for(receiver.url))
    assert (outcome.report.delivered, outcome.report.failed, outcome.report.pending) == (3, 1, 0)
    [failed] = [e for e in entries() if e.status is OutboxStatus.FAILED]
    assert failed.attempts == 1 and failed.last_status_code == 422 and "HTTP 422" in (failed.last_error or "")
    assert attempts_of(failed)[0].outcome is DeliveryOutcome.FAILED
    push(standard, config_for(receiver.url))
    assert receiver.count(failed.idempotency_key) == 1  # not sent again by the next push

    refused.clear()
    assert retry_failed(datetime.now(UTC)) == 1
    push(standard, config_for(receiver.url))
    assert_stored_exactly_once(receiver)


def test_refused_credentials_stop_the_run_and_keep_every_record(
    standard: Framework, government: Government, start_receiver: Callable[..., Receiver]
) -> None:
    receiver = start_receiver()
    with pytest.raises(PushError, match="refused our Consumer-Key and Token"):
        push(standard, config_for(receiver.url, token="stale-token"))
    outbox = entries()
    assert all(e.status is OutboxStatus.PENDING for e in outbox) and len(outbox) == 4
    log = db.session.scalars(select(GdxDelivery)).all()
    assert {(row.outcome, row.status_code) for row in log} == {(DeliveryOutcome.UNAUTHORISED, 401)}
    assert len(log) == len(receiver.requests) <= 4  # the requests in flight, and no more
    run = db.session.scalars(select(GdxPushRun)).one()
    assert run.error and "refused" in run.error and run.finished_at is not None
    push(standard, config_for(receiver.url))  # put right: everything goes, once
    assert_stored_exactly_once(receiver)


def test_a_token_from_the_validate_url_is_renewed_when_gdx_lets_it_lapse(
    standard: Framework, government: Government, start_receiver: Callable[..., Receiver]
) -> None:
    receiver = start_receiver()

    def policy(n: int, key: str) -> tuple[Any, ...]:
        if n == 1:
            receiver.token = "lapsed"  # GDX forgets the token after the second request
        return ("ok",)

    receiver.policy = policy
    config = config_for(receiver.url, token="", validate_url=receiver.validate_url, consumer_secret="s3", concurrency=1)
    outcome = push(standard, config)
    assert outcome.report.delivered == 4 and receiver.validations == 2
    assert len(receiver.stored) == 4
    unauthorised = db.session.scalars(
        select(GdxDelivery).where(GdxDelivery.outcome == DeliveryOutcome.UNAUTHORISED)
    ).all()
    # Refused requests stop the batch: at most the one in flight and the one the worker had taken.
    assert 1 <= len(unauthorised) <= 2
    assert_stored_exactly_once(receiver)


def test_settings_that_cannot_work_are_named() -> None:
    with pytest.raises(PushError) as caught:
        GdxSender(GdxSettings(ingest_url="ftp://gdx", consumer_key=""))
    message = str(caught.value)
    assert "ACADEMY_GDX_INGEST_URL" in message and "ACADEMY_GDX_CONSUMER_KEY" in message
    assert "ACADEMY_GDX_TOKEN" in message


def test_keys_follow_the_record_and_the_day() -> None:
    record = {"agency_code": "71", "fiscal_year": 2569, "population": "it", "headcount": 9, "as_of": "a"}
    today = date(2026, 11, 22)
    assert record_key(record, today) == record_key({**record, "as_of": "b"}, today)
    assert record_key(record, today) != record_key({**record, "headcount": 10}, today)
    assert record_key(record, today) != record_key(record, today + timedelta(days=1))


def test_an_entry_held_by_a_sender_that_died_is_due_again_when_the_hold_ends() -> None:
    now = datetime.now(UTC)
    record = {"agency_code": "71", "fiscal_year": 2569, "population": "it", "headcount": 9, "as_of": "x"}
    assert enqueue_records([record], None, now.date(), now) == 1
    assert enqueue_records([record], None, now.date(), now) == 0  # enqueued once
    [entry] = entries()
    hold = timedelta(seconds=30)
    assert claim_entries([entry.id], now, hold) == [entry]
    db.session.commit()
    assert claim_entries([entry.id], now + timedelta(seconds=5), hold) == []  # still held
    [again] = claim_entries([entry.id], now + timedelta(seconds=31), hold)
    assert again.attempts == 2 and again.idempotency_key == entry.idempotency_key
    assert json.loads(again.body)["record_id"] == entry.idempotency_key


def test_the_cli_pushes_and_says_when_records_are_left_pending(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    standard: Framework,
    government: Government,
    start_receiver: Callable[..., Receiver],
) -> None:
    failing = start_receiver(lambda n, key: ("status", 500))
    for name, value in {
        "ACADEMY_GDX_INGEST_URL": failing.url,
        "ACADEMY_GDX_CONSUMER_KEY": "our-key",
        "ACADEMY_GDX_TOKEN": "our-token",
        "ACADEMY_GDX_TIMEOUT": 0.3,
        "ACADEMY_GDX_RETRY_BASE": 0.01,
        "ACADEMY_GDX_RETRY_MAX": 0.02,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["academy", "gdx-push", "--fiscal-year", "2569", "--max-wait", "0.2"])
    assert result.exit_code == 3, result.output
    assert "4 new records, 0 delivered, 0 failed, 4 still pending" in result.output

    receiver = start_receiver()
    monkeypatch.setitem(app.config, "ACADEMY_GDX_INGEST_URL", receiver.url)
    result = runner.invoke(args=["academy", "gdx-push", "--fiscal-year", "2569"])
    assert result.exit_code == 0, result.output
    assert "0 new records, 4 delivered, 0 failed, 0 still pending" in result.output
    assert set(receiver.stored) == {e.idempotency_key for e in entries()} and len(receiver.requests) == 4

    monkeypatch.setitem(app.config, "ACADEMY_GDX_INGEST_URL", "")
    missing = runner.invoke(args=["academy", "gdx-push"])
    assert missing.exit_code == 1 and "ACADEMY_GDX_INGEST_URL must be an http(s) URL" in missing.output


def test_the_pushed_records_are_the_feeds_records_with_small_units_folded(
    standard: Framework, government: Government, start_receiver: Callable[..., Receiver]
) -> None:
    from tests.api.gdx.test_feed import RECORD_FIELDS

    receiver = start_receiver()
    push(standard, config_for(receiver.url))
    assert {body["agency_code"] for body in receiver.stored.values()} == PUBLISHED  # 7100102 is folded
    assert all(set(body) == RECORD_FIELDS | {"record_id"} for body in receiver.stored.values())


def test_the_push_sends_the_kept_build_the_pull_feed_serves_and_a_build_it_makes_is_kept_for_reads(
    app: Flask,
    standard: Framework,
    government: Government,
    start_receiver: Callable[..., Receiver],
    gdx_get: Callable[..., Any],
    make_agency: Callable[..., Any],
    make_person: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.api.gdx.test_feed_builds import new_division

    monkeypatch.setitem(app.config, "ACADEMY_GDX_FEED_MAX_AGE", 300)
    pulled = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=1000).get_json()
    new_division(government, standard, make_agency, make_person)  # not in the kept build
    receiver = start_receiver()
    push(standard, config_for(receiver.url))

    def pushed() -> dict[str, dict[str, Any]]:
        return {b["agency_code"]: {k: v for k, v in b.items() if k != "record_id"} for b in receiver.stored.values()}

    # The kept build's records, as the pull feed serves them (as_of included), and no build more.
    assert pushed() == {record["agency_code"]: record for record in pulled["data"]}
    assert db.session.scalars(select(GdxFeedSnapshot.id)).all() == [pulled["snapshot"]]

    # No build young enough: the push builds (with the change) and keeps it; the next read is served it.
    db.session.execute(update(GdxFeedSnapshot).values(built_at=datetime.now(UTC) - timedelta(seconds=301)))
    receiver.stored.clear()
    push(standard, config_for(receiver.url))
    newest = db.session.scalar(select(func.max(GdxFeedSnapshot.id)))
    assert db.session.scalar(select(func.count()).select_from(GdxFeedSnapshot)) == 2
    read = gdx_get("/coverage", fiscal_year=FISCAL_YEAR, per_page=1000).get_json()
    assert read["snapshot"] == newest and "7100201" in {r["agency_code"] for r in read["data"]}
    assert db.session.scalar(select(func.count()).select_from(GdxFeedSnapshot)) == 2
    assert {code: pushed()[code] for code in ("71", "71002")} == {
        r["agency_code"]: r for r in read["data"] if r["agency_code"] in ("71", "71002")
    }
