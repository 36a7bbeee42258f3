"""API tokens: what an agency's HR system sends as ``Authorization: Bearer ...``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.credentials import CredentialMixin
from academy.db import Base, UtcDateTime
from academy.org.models import Agency


class ApiToken(CredentialMixin, Base):
    """A token of one agency: it reads and writes that agency and everything beneath it.

    Only a hash of the token is stored; the prefix (its first, public part) finds the row.
    """

    __tablename__ = "api_tokens"
    key_attribute = "prefix"
    hash_attribute = "token_hash"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    #: Who created it, kept as text so that it survives the user: an email, or "cli".
    created_by: Mapped[str] = mapped_column(String(255))
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: When the token last wrote: for a moment after, its reads go to the primary (academy.replica).
    last_write_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    agency: Mapped[Agency] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def is_usable(self) -> bool:
        """Tell whether the token still works."""
        return self.active

    def mark_revoked(self, now: datetime) -> None:
        """Revoke the token; a second revocation keeps the first time."""
        if self.revoked_at is None:
            self.revoked_at = now

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}>"
