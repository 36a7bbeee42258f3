"""The outbox of records for GDX: enqueue once, claim, record every attempt, back off.

An entry's idempotency key is derived from its record, and the body it is sent with is
stored, so every retry sends the same bytes with the same key. An entry acknowledged with
2xx is ``delivered`` and never sent again; a 4xx other than 408/429 makes it ``failed`` (a
request GDX will not accept, however often we send it); a timeout, a refused or broken
connection, 408, 429 or 5xx leaves it ``pending`` with its next attempt backed off
exponentially. These functions flush; the sender commits around each attempt.
"""

from __future__ import annotations

import enum
import hashlib
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from academy.db import db, insert_ignoring_duplicates
from api.gdx.models import DeliveryOutcome, GdxDelivery, GdxOutboxEntry, GdxPushRun, OutboxStatus

#: Namespace of the records' idempotency keys (UUID version 5).
KEY_NAMESPACE = uuid.UUID("6b1f9c52-3f0e-5a0e-9d4e-2a8f4e7c0d61")


class Verdict(enum.StrEnum):
    """What an attempt's answer means for its entry."""

    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    UNAUTHORISED = "unauthorised"


@dataclass(frozen=True)
class AttemptResult:
    verdict: Verdict
    latency_ms: int
    status_code: int | None = None
    error: str | None = None
    #: Seconds the receiver asked us to wait (Retry-After), if it did.
    retry_after: float | None = None


def record_key(record: dict[str, Any], snapshot_date: date) -> str:
    """The idempotency key of a record: the same agency, year, population, day and figures give the same key."""
    content = {name: value for name, value in record.items() if name != "as_of"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    name = f"{record['agency_code']}|{record['fiscal_year']}|{record['population']}|{snapshot_date}|{digest}"
    return str(uuid.uuid5(KEY_NAMESPACE, name))


def start_run(fiscal_year: int, population: str, trigger: str, now: datetime) -> GdxPushRun:
    run = GdxPushRun(fiscal_year=fiscal_year, population=population, trigger=trigger, started_at=now)
    db.session.add(run)
    db.session.flush()
    return run


def enqueue_records(
    records: Sequence[dict[str, Any]], run: GdxPushRun | None, snapshot_date: date, now: datetime
) -> int:
    """Add an entry for each record not already in the outbox; return how many were added."""
    keyed = {record_key(record, snapshot_date): record for record in records}
    known: set[str] = set()
    keys = list(keyed)
    for start in range(0, len(keys), 500):
        known.update(
            db.session.scalars(
                select(GdxOutboxEntry.idempotency_key).where(
                    GdxOutboxEntry.idempotency_key.in_(keys[start : start + 500])
                )
            )
        )
    rows = [
        {
            "idempotency_key": key,
            "run_id": run.id if run is not None else None,
            "agency_code": record["agency_code"],
            "fiscal_year": record["fiscal_year"],
            "population": record["population"],
            "snapshot_date": snapshot_date,
            "body": json.dumps({"record_id": key, **record}, ensure_ascii=False, separators=(",", ":")),
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for key, record in keyed.items()
        if key not in known
    ]
    if rows:
        # A push running at the same moment may have added some: theirs stand, once.
        db.session.execute(insert_ignoring_duplicates(GdxOutboxEntry), rows)
    db.session.flush()
    return len(rows)


def make_pending_due(now: datetime) -> int:
    """Make every pending entry due now: a new push retries what earlier ones could not deliver."""
    result = db.session.execute(
        update(GdxOutboxEntry)
        .where(GdxOutboxEntry.status == OutboxStatus.PENDING, GdxOutboxEntry.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def retry_failed(now: datetime) -> int:
    """Put failed entries back in the queue (after what GDX refused has been put right)."""
    result = db.session.execute(
        update(GdxOutboxEntry)
        .where(GdxOutboxEntry.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def due_entry_ids(now: datetime, limit: int = 100) -> list[int]:
    """Pending entries whose next attempt is due and that no sender holds, oldest first."""
    return list(
        db.session.scalars(
            select(GdxOutboxEntry.id)
            .where(
                GdxOutboxEntry.status == OutboxStatus.PENDING,
                GdxOutboxEntry.next_attempt_at <= now,
                (GdxOutboxEntry.leased_until.is_(None)) | (GdxOutboxEntry.leased_until < now),
            )
            .order_by(GdxOutboxEntry.next_attempt_at, GdxOutboxEntry.id)
            .limit(limit)
        )
    )


def next_due_at() -> datetime | None:
    """When the next pending entry becomes due (its backoff or another sender's hold ends)."""
    pending = GdxOutboxEntry.status == OutboxStatus.PENDING
    free = db.session.scalar(
        select(func.min(GdxOutboxEntry.next_attempt_at)).where(pending, GdxOutboxEntry.leased_until.is_(None))
    )
    held = db.session.scalar(
        select(func.min(GdxOutboxEntry.leased_until)).where(pending, GdxOutboxEntry.leased_until.is_not(None))
    )
    moments = [_utc(m) for m in (free, held) if m is not None]
    return min(moments) if moments else None


def _utc(moment: datetime) -> datetime:
    # Aggregates lose the column type: SQLite hands back naive (UTC) values or text.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def claim_entries(entry_ids: Sequence[int], now: datetime, hold: timedelta) -> list[GdxOutboxEntry]:
    """Hold due entries for one attempt each; those another sender holds, or that are no longer pending, are left.

    The hold is committed before sending: if this sender dies mid-attempt, its entries fall
    due again when the hold ends, and are re-sent with the same keys.
    """
    if not entry_ids:
        return []
    claimed = db.session.scalars(
        update(GdxOutboxEntry)
        .where(
            GdxOutboxEntry.id.in_(list(entry_ids)),
            GdxOutboxEntry.status == OutboxStatus.PENDING,
            (GdxOutboxEntry.leased_until.is_(None)) | (GdxOutboxEntry.leased_until < now),
        )
        .values(leased_until=now + hold, attempts=GdxOutboxEntry.attempts + 1)
        .returning(GdxOutboxEntry.id)
        .execution_options(synchronize_session=False)
    ).all()
    entries = db.session.scalars(
        select(GdxOutboxEntry)
        .where(GdxOutboxEntry.id.in_(claimed))
        .order_by(GdxOutboxEntry.id)
        .execution_options(populate_existing=True)
    )
    return list(entries)


def backoff(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after the n-th failed attempt: base x 2^(n-1), at most cap, less up to half (jitter)."""
    delay = min(base * 2.0 ** min(max(attempts - 1, 0), 32), cap)
    return delay * (0.5 + 0.5 * (rng or random).random())


def record_attempt(
    entry: GdxOutboxEntry,
    result: AttemptResult,
    *,
    started_at: datetime,
    now: datetime,
    base: float,
    cap: float,
) -> GdxDelivery:
    """Log an attempt and move its entry on: delivered, failed, or pending until its next attempt."""
    outcome = DeliveryOutcome(result.verdict.value)
    entry.last_status_code = result.status_code
    entry.last_error = _clip(result.error)
    entry.leased_until = None
    if result.verdict is Verdict.DELIVERED:
        entry.status = OutboxStatus.DELIVERED
        entry.delivered_at = now
    elif result.verdict is Verdict.FAILED:
        entry.status = OutboxStatus.FAILED
    elif result.verdict is Verdict.RETRY:
        wait = backoff(entry.attempts, base, cap)
        if result.retry_after is not None:
            wait = max(wait, min(result.retry_after, cap))
        entry.next_attempt_at = now + timedelta(seconds=wait)
    else:  # unauthorised: our credentials, not the record; due again as soon as they are put right
        entry.next_attempt_at = now
    delivery = GdxDelivery(
        outbox_id=entry.id,
        attempt=entry.attempts,
        started_at=started_at,
        latency_ms=result.latency_ms,
        status_code=result.status_code,
        outcome=outcome,
        error=_clip(result.error),
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:500]


def pending_count() -> int:
    query = select(func.count()).select_from(GdxOutboxEntry).where(GdxOutboxEntry.status == OutboxStatus.PENDING)
    return int(db.session.scalar(query) or 0)


def finish_run(
    run: GdxPushRun, now: datetime, *, delivered: int, failed: int, pending: int, error: str | None = None
) -> GdxPushRun:
    """Close a run with what its delivery loop achieved, and what is still waiting."""
    run.delivered, run.failed, run.pending = delivered, failed, pending
    run.finished_at = now
    run.error = _clip(error)
    db.session.flush()
    return run


def last_run() -> GdxPushRun | None:
    return db.session.scalar(select(GdxPushRun).order_by(GdxPushRun.started_at.desc(), GdxPushRun.id.desc()).limit(1))
