"""GDX consumers and their tokens; the push's runs, outbox and delivery log."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.credentials import CredentialMixin
from academy.db import Base, UtcDateTime, string_enum


class GdxConsumer(CredentialMixin, Base):
    """A system (GDX itself, another agency) allowed to read the feed: a Consumer-Key and a secret."""

    __tablename__ = "gdx_consumers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of the secret, which is shown once when the consumer is created.
    secret_hash: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def is_usable(self) -> bool:
        """Tell whether the consumer's secret and tokens still work."""
        return self.active

    def mark_revoked(self, now: datetime) -> None:
        """Disable the consumer; a second revocation keeps the first time (its tokens: revoke_consumer)."""
        self.active = False
        self.revoked_at = self.revoked_at or now


class GdxToken(Base):
    """A Token the validate endpoint gave a consumer; it lapses after a spell of disuse."""

    __tablename__ = "gdx_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("gdx_consumers.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token: a copy of the table gives no one a working token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime] = mapped_column(UtcDateTime)

    consumer: Mapped[GdxConsumer] = relationship()


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    UNAUTHORISED = "unauthorised"


class GdxPushRun(Base):
    """One gdx-push (by hand or by the daily schedule): what it enqueued and how delivery ended."""

    __tablename__ = "gdx_push_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    population: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    enqueued: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))


class GdxOutboxEntry(Base):
    """One agency's record to deliver to GDX, with the idempotency key it is always sent with."""

    __tablename__ = "gdx_outbox"
    __table_args__ = (Index("ix_gdx_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Sent as the Idempotency-Key header; derived from the record, so enqueuing the same
    #: record twice gives one entry, and every retry carries the same key.
    idempotency_key: Mapped[str] = mapped_column(String(36), unique=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("gdx_push_runs.id", ondelete="SET NULL"), index=True)
    agency_code: Mapped[str] = mapped_column(String(20), index=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    population: Mapped[str] = mapped_column(String(20))
    #: The Bangkok day of the snapshot: one record per agency a day, more if figures change.
    snapshot_date: Mapped[date] = mapped_column(Date)
    #: The exact JSON body, so that every retry sends the same bytes.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        string_enum(OutboxStatus, "gdx_outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: A sender holds the entry until then; past it, a crashed sender's entry is due again.
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))


class GdxDelivery(Base):
    """One attempt to deliver an outbox entry: when, how long, what came back."""

    __tablename__ = "gdx_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("gdx_outbox.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[DeliveryOutcome] = mapped_column(string_enum(DeliveryOutcome, "gdx_delivery_outcome"))
    error: Mapped[str | None] = mapped_column(String(500))

    entry: Mapped[GdxOutboxEntry] = relationship()


class GdxFeedSnapshot(Base):
    """One build of the feed of every agency, kept: later reads and every page of one read are served from it."""

    __tablename__ = "gdx_feed_snapshots"
    __table_args__ = (Index("ix_gdx_feed_snapshots_key", "fiscal_year", "population", "framework_id", "built_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    population: Mapped[str] = mapped_column(String(20))
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    #: The standard's version when built: a new version is a new key, not a kept build of the old one.
    framework_version: Mapped[str] = mapped_column(String(20))
    #: When the feed was built: the response's ``as_of``.
    built_at: Mapped[datetime] = mapped_column(UtcDateTime)
    total: Mapped[int] = mapped_column(Integer)


class GdxFeedRecord(Base):
    """A record of a kept build, as published (what build_feed gave, serialised): nothing else is kept."""

    __tablename__ = "gdx_feed_records"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("gdx_feed_snapshots.id", ondelete="CASCADE"), primary_key=True)
    #: 0-based, in the feed's order (tree order): a page is a range of positions.
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: The record's agency: one agency's read (``agency=``) is a record of the build.
    agency_code: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
