"""Notifications: one row per (kind, recipient, subject, period), and each person's email choices."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from academy.db import Base, UtcDateTime, string_enum


class EmailState(enum.StrEnum):
    PENDING = "pending"  # to be mailed by the next run (again, after a failed send)
    SENT = "sent"
    OFF = "off"  # the recipient turned this kind's email off, or has no address: in-app only


class Notification(Base):
    """Something a user is told once: in the app (the bell) and, unless turned off, by email.

    The unique key makes it once: every run inserts what is due with ON CONFLICT DO NOTHING,
    so a second run, a retry or a second worker adds nothing that is already here.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("kind", "user_id", "subject", "period"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_email_state", "email_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: What it is about, in the kind's terms (an enrolment id, an agency id, ...).
    subject: Mapped[str] = mapped_column(String(100))
    #: Which occurrence: a due date, a week; empty when the subject happens once.
    period: Mapped[str] = mapped_column(String(40), default="")
    #: Figures fixed when it was produced (a digest's coverage), for the page and the mail.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    email_state: Mapped[EmailState] = mapped_column(
        string_enum(EmailState, "notification_email_state"), default=EmailState.PENDING
    )
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NotificationPreference(Base):
    """A person's choice for one kind's email; no row means the email is on."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)


__all__ = ["EmailState", "Notification", "NotificationPreference"]
