"""The OpenID Connect identities linked to users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.auth.models import User
from academy.db import Base, UtcDateTime


class OidcIdentity(Base):
    """A provider's subject that signs a user in: the keyed hash of ``sub``, never ``sub`` itself.

    Made at the first sign-in (just in time) or when a password user links the provider.
    """

    __tablename__ = "oidc_identities"
    __table_args__ = (
        UniqueConstraint("provider", "subject_hash"),
        UniqueConstraint("user_id", "provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The provider's name in ACADEMY_OIDC_PROVIDERS (thaid, digitalid, ...).
    provider: Mapped[str] = mapped_column(String(32))
    #: academy.org.identity.subject_hash(provider, sub).
    subject_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()
