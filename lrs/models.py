"""Storage of the LRS: statements with their index tables, attachments, documents, clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from academy.credentials import CredentialMixin
from academy.db import Base, UtcDateTime

#: JSONB on PostgreSQL, JSON text elsewhere.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")
#: An autoincrementing 64-bit key that SQLite accepts as its rowid.
BigKey = BigInteger().with_variant(Integer(), "sqlite")


class LrsClient(CredentialMixin, Base):
    """A client of the LRS (a training provider, our own course player): Basic auth key and secret."""

    __tablename__ = "lrs_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    #: Space-separated xAPI scopes: statements/write statements/read/mine all ...
    scopes: Mapped[str] = mapped_column(String(255))
    #: Scopes the client to an agency and everything beneath it: its statements are evidence only
    #: for people there, and it reads only statements whose actor is one of them.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: An LRS administrator's client: it may void any statement; other clients void only their own.
    admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: One of the platform's own writers (the cmi5 LMS and its AU sessions), trusted like the player.
    platform: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Voiding statements refused because they targeted another client's statements.
    refused_voids: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The xAPI version this client last spoke: errors of requests without one answer in it.
    last_version: Mapped[str | None] = mapped_column(String(10))

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def is_usable(self) -> bool:
        """Tell whether the client's credentials still work."""
        return self.active

    def mark_revoked(self, now: datetime) -> None:
        """Disable the client (lrs_clients keeps no revocation time)."""
        self.active = False


class Statement(Base):
    __tablename__ = "lrs_statements"
    __table_args__ = (
        Index("ix_lrs_statements_actor_verb", "actor_key", "verb_id", "pk"),
        Index("ix_lrs_statements_verb", "verb_id", "pk"),
        Index("ix_lrs_statements_registration", "registration", "pk"),
        Index("ix_lrs_statements_object_activity", "object_activity_id", "pk"),
        Index("ix_lrs_statements_stored", "stored"),
    )

    #: Insertion order: the order of `stored`, and the cursor of the `more` link.
    pk: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    #: The statement as stored (with id, stored, authority, version, timestamp).
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    actor_key: Mapped[str | None] = mapped_column(String(600))
    verb_id: Mapped[str] = mapped_column(String(2048))
    object_activity_id: Mapped[str | None] = mapped_column(String(2048))
    object_statement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    registration: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    stored: Mapped[datetime] = mapped_column(UtcDateTime)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("lrs_clients.id", ondelete="SET NULL"), index=True)
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)


class StatementAgent(Base):
    """An agent or group a statement mentions; ``direct`` marks actor and object (the `agent` filter)."""

    __tablename__ = "lrs_statement_agents"
    __table_args__ = (Index("ix_lrs_statement_agents_lookup", "agent_key", "direct", "statement_pk"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    statement_pk: Mapped[int] = mapped_column(ForeignKey("lrs_statements.pk", ondelete="CASCADE"), index=True)
    agent_key: Mapped[str] = mapped_column(String(600))
    direct: Mapped[bool] = mapped_column(Boolean)


class StatementActivity(Base):
    """An activity a statement mentions; ``direct`` marks the object (the `activity` filter)."""

    __tablename__ = "lrs_statement_activities"
    __table_args__ = (Index("ix_lrs_statement_activities_lookup", "activity_id", "direct", "statement_pk"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    statement_pk: Mapped[int] = mapped_column(ForeignKey("lrs_statements.pk", ondelete="CASCADE"), index=True)
    activity_id: Mapped[str] = mapped_column(String(2048))
    direct: Mapped[bool] = mapped_column(Boolean)


class Attachment(Base):
    """Attachment content, stored once per sha2 however many statements carry it."""

    __tablename__ = "lrs_attachments"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Activity(Base):
    """The canonical definition of an activity, merged from the statements that define it."""

    __tablename__ = "lrs_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[str] = mapped_column(Text, unique=True)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


class Document(Base):
    """A state, activity profile or agent profile document. Absent parts are '' (not NULL) so
    that the unique constraint holds on every database."""

    __tablename__ = "lrs_documents"
    __table_args__ = (
        UniqueConstraint("kind", "activity_id", "agent_key", "registration", "document_id"),
        Index("ix_lrs_documents_agent", "kind", "agent_key", "activity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: state, activity_profile or agent_profile.
    kind: Mapped[str] = mapped_column(String(20))
    activity_id: Mapped[str] = mapped_column(String(2048), default="")
    agent_key: Mapped[str] = mapped_column(String(600), default="")
    registration: Mapped[str] = mapped_column(String(36), default="")
    document_id: Mapped[str] = mapped_column(String(2048))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(255))
    etag: Mapped[str] = mapped_column(String(64))
    updated: Mapped[datetime] = mapped_column(UtcDateTime)


class IgnoredStatement(Base):
    """A stored statement that a projection did not believe, and why (README, Trust model).

    Written once per statement and reason, never updated: counting a client's ignored
    statements reads this table, so that a busy client's batches never queue on a counter row.
    """

    __tablename__ = "lrs_ignored_statements"
    __table_args__ = (
        UniqueConstraint("statement_id", "reason"),
        Index("ix_lrs_ignored_statements_client", "client_id", "reason"),
    )

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    statement_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("lrs_clients.id", ondelete="CASCADE"))
    #: One of lrs.clients.IGNORED_REASONS.
    reason: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
