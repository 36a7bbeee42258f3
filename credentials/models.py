"""Issued credentials (append-only, stored as issued), their revocations, the issuer's keys and share links."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.db import Base, UtcDateTime, string_enum
from academy.org.models import Person


class CredentialKind(enum.StrEnum):
    BADGE = "badge"  # an OpenBadgeCredential: one course completed or one competency level attained
    CLR = "clr"  # a ClrCredential: the transcript, or one fiscal year of it


class IssuerKey(Base):
    """A public key the academy has signed with, by key id: kept for ever, so old credentials still verify."""

    __tablename__ = "credential_issuer_keys"

    key_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    public_key_multibase: Mapped[str] = mapped_column(String(100))
    first_used_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class IssuedCredential(Base):
    """Append-only: a credential exactly as signed. Revoking it flips its status bit; the document never changes.

    The credential's place in the revocation status list is its row id: list ``status_list``,
    bit ``status_index``.
    """

    __tablename__ = "issued_credentials"
    __table_args__ = (
        UniqueConstraint("status_list", "status_index"),
        Index("ix_issued_credentials_person_source", "person_id", "source_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CredentialKind] = mapped_column(string_enum(CredentialKind, "credential_kind"))
    #: What it stands for: ``course:<code>``, ``activity:<iri>``, ``competency:<CASE id>:<level>``, ``clr:<scope>``.
    source_key: Mapped[str] = mapped_column(String(2200))
    title_th: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    status_list: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(ForeignKey("credential_issuer_keys.key_id"))
    #: The signed credential as issued, byte for byte (JSON text).
    document: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    #: The holder chose to show their name to whoever opens the share link.
    share_name: Mapped[bool] = mapped_column(Boolean, default=False)

    person: Mapped[Person] = relationship()
    revocation: Mapped[CredentialRevocation | None] = relationship(uselist=False, lazy="joined")


class RevocationReason(enum.StrEnum):
    VOIDED = "voided"  # the completion behind it was voided (or its evidence withdrawn)
    ADMIN = "admin"  # an administrator revoked it, with a note
    ERASED = "erased"  # the holder's personal data was erased


class CredentialRevocation(Base):
    """A credential's revocation: why, by whom, when (audited besides when a person did it)."""

    __tablename__ = "credential_revocations"

    credential_pk: Mapped[int] = mapped_column(
        ForeignKey("issued_credentials.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[RevocationReason] = mapped_column(string_enum(RevocationReason, "credential_revocation_reason"))
    note: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class CredentialQueue(Base):
    """People whose credentials a worker is to bring in step (issue, revoke): the credentials projection's
    work when it runs out of the request (``ACADEMY_CREDENTIALS_ISSUE_IN=job``), one row a person."""

    __tablename__ = "credential_queue"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
