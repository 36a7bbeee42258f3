"""A person's requests about their own data: corrections, and erasure once they have left."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.db import Base, UtcDateTime, string_enum
from academy.org.models import Person


class CorrectionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class ErasureStatus(enum.StrEnum):
    REQUESTED = "requested"
    REJECTED = "rejected"
    DONE = "done"


class CorrectionRequest(Base):
    """What a person says is wrong in their record; their agency's HR officers answer it (PDPA s.35)."""

    __tablename__ = "correction_requests"
    __table_args__ = (Index("ix_correction_requests_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[CorrectionStatus] = mapped_column(
        string_enum(CorrectionStatus, "correction_status"), default=CorrectionStatus.OPEN
    )
    reply: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship()


class ErasureRequest(Base):
    """An HR officer's request to erase a person who has left; an admin approves (and it is carried out) or rejects."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    #: Why; the person's name is scrubbed from it when the erasure is carried out.
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ErasureStatus] = mapped_column(
        string_enum(ErasureStatus, "erasure_status"), default=ErasureStatus.REQUESTED
    )
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The pseudonymous account name that replaced the person's identifiers ("erased-…").
    pseudonym: Mapped[str | None] = mapped_column(String(64))

    person: Mapped[Person] = relationship()
