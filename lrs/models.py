"""Storage of the LRS: statements with their index tables, attachments, documents, clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
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
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, column_property, mapped_column
from sqlalchemy.sql.selectable import ScalarSelect

from academy.credentials import CredentialMixin
from academy.db import Base, UtcDateTime
from lrs.payloads import CompressedJson

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


class Activity(Base):
    """The canonical definition of an activity, merged from the statements that define it."""

    __tablename__ = "lrs_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[str] = mapped_column(Text, unique=True)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)


class Agent(Base):
    """An agent or group key (academy.ifi.agent_key) the LRS has seen: statements and their index
    rows refer to it by its small integer id instead of repeating the key."""

    __tablename__ = "lrs_agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_key: Mapped[str] = mapped_column(String(600), unique=True)


class Verb(Base):
    """A verb IRI the LRS has seen, referred to by its small integer id."""

    __tablename__ = "lrs_verbs"

    id: Mapped[int] = mapped_column(primary_key=True)
    verb_id: Mapped[str] = mapped_column(String(2048), unique=True)


class StatementId(Base):
    """Every statement id stored: the one unique index of statement ids (xAPI: an id is stored once).

    On PostgreSQL lrs_statements is partitioned by month of ``stored`` (lrs.partitions), and a
    partitioned table's unique index must include the partition key: uniqueness lives here.
    """

    __tablename__ = "lrs_statement_ids"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class Statement(Base):
    """A stored statement: its payload, compressed, and the integer references its queries filter by.

    ``actor_ref``, ``verb_ref`` and ``object_activity_ref`` are ids in lrs_agents, lrs_verbs and
    lrs_activities (filter with ``agent_refs()`` and friends); ``actor_key``, ``verb_id`` and
    ``object_activity_id`` read the strings back, for selecting only (a filter on them cannot
    use an index).
    """

    __tablename__ = "lrs_statements"
    # On PostgreSQL the table is partitioned by RANGE (stored), its primary key is (pk, stored)
    # (migration 0021, lrs.partitions); the model keeps pk alone, SQLite's rowid.
    __table_args__ = (
        Index("ix_lrs_statements_id", "id"),
        Index("ix_lrs_statements_actor_verb", "actor_ref", "verb_ref", "pk"),
        Index("ix_lrs_statements_verb", "verb_ref", "pk"),
        Index("ix_lrs_statements_registration", "registration", "pk"),
        Index("ix_lrs_statements_object_activity", "object_activity_ref", "pk"),
    )

    #: Insertion order: the order of `stored`, and the cursor of the `more` link.
    pk: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    #: Unique through lrs_statement_ids.
    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    #: The statement as stored (with id, stored, authority, version, timestamp), compressed.
    payload: Mapped[dict[str, Any]] = mapped_column(CompressedJson)
    actor_ref: Mapped[int | None] = mapped_column(Integer)
    verb_ref: Mapped[int] = mapped_column(Integer)
    object_activity_ref: Mapped[int | None] = mapped_column(Integer)
    object_statement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    registration: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    stored: Mapped[datetime] = mapped_column(UtcDateTime)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("lrs_clients.id", ondelete="SET NULL"), index=True)
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)

    actor_key: Mapped[str | None] = column_property(
        select(Agent.agent_key).where(Agent.id == actor_ref).correlate_except(Agent).scalar_subquery(), deferred=True
    )
    verb_id: Mapped[str] = column_property(
        select(Verb.verb_id).where(Verb.id == verb_ref).correlate_except(Verb).scalar_subquery(), deferred=True
    )
    object_activity_id: Mapped[str | None] = column_property(
        select(Activity.activity_id)
        .where(Activity.id == object_activity_ref)
        .correlate_except(Activity)
        .scalar_subquery(),
        deferred=True,
    )


#: A query by time alone walks this index from its bound, in (stored, pk) order (migration 0030).
Index(
    "ix_lrs_statements_stored_pk",
    Statement.stored,
    Statement.pk,
    postgresql_where=Statement.voided.is_(False),
    sqlite_where=Statement.voided.is_(False),
)

#: Only the statements that target another statement (StatementRef) are in this index.
Index(
    "ix_lrs_statements_object_statement_id",
    Statement.object_statement_id,
    postgresql_where=Statement.object_statement_id.is_not(None),
    sqlite_where=Statement.object_statement_id.is_not(None),
)


class StatementAgent(Base):
    """An agent or group a statement mentions; ``direct`` marks actor and object (the `agent` filter).

    The primary key is the lookup (agent, direct, statement in order): no surrogate key, and no
    foreign key, whose checks would cost every insert (statements are never deleted; erasure
    rewrites these rows itself). On PostgreSQL it includes the statement's verb (migration 0031):
    a page of agent+verb walks the agent's entries and looks up only the statements of the verb.
    """

    __tablename__ = "lrs_statement_agents"
    __table_args__ = (
        PrimaryKeyConstraint("agent_ref", "direct", "statement_pk", "stored", postgresql_include=["verb_ref"]),
    )

    agent_ref: Mapped[int] = mapped_column(Integer, autoincrement=False)
    direct: Mapped[bool] = mapped_column(Boolean)
    statement_pk: Mapped[int] = mapped_column(BigKey, autoincrement=False)
    #: The statement's: the partition key on PostgreSQL, and since/until prune by it.
    stored: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The statement's verb (lrs_verbs), as its ``verb_ref``.
    verb_ref: Mapped[int] = mapped_column(Integer)


class StatementActivity(Base):
    """An activity a statement mentions; ``direct`` marks the object (the `activity` filter).
    Keyed like lrs_statement_agents."""

    __tablename__ = "lrs_statement_activities"

    activity_ref: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    direct: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    statement_pk: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=False)
    stored: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)


def refs_of_agents(keys: Iterable[str]) -> ScalarSelect[int]:
    """The ids of these agent keys, to filter ``actor_ref`` or ``agent_ref`` with ``in_()``."""
    return select(Agent.id).where(Agent.agent_key.in_(list(keys))).scalar_subquery()


def ref_of_agent(key: str) -> ScalarSelect[int]:
    """The id of one agent key (NULL when unknown), to compare with ``==``."""
    return select(Agent.id).where(Agent.agent_key == key).scalar_subquery()


def ref_of_verb(verb_id: str) -> ScalarSelect[int]:
    """The id of one verb IRI (NULL when unknown), to compare with ``==``."""
    return select(Verb.id).where(Verb.verb_id == verb_id).scalar_subquery()


def ref_of_activity(activity_id: str) -> ScalarSelect[int]:
    """The id of one activity IRI (NULL when unknown), to compare with ``==``."""
    return select(Activity.id).where(Activity.activity_id == activity_id).scalar_subquery()


class Attachment(Base):
    """Attachment content, stored once per sha2 however many statements carry it."""

    __tablename__ = "lrs_attachments"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


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
