"""Users, their roles and the agencies an HR officer may see."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, contains_eager, joinedload, mapped_column, relationship
from sqlalchemy.orm.strategy_options import _AbstractLoad

from academy.db import Base, UtcDateTime, string_enum
from academy.org.models import Agency, Person


class Role(enum.StrEnum):
    LEARNER = "learner"
    HR_OFFICER = "hr_officer"
    ADMIN = "admin"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    preferred_locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    person: Mapped[Person | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    scope_rows: Mapped[list[HrScope]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def awaits_password(self) -> bool:
        """Invited, and has not chosen a password yet (academy.auth.services.UNUSABLE_PASSWORD)."""
        return self.password_hash == "!"

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_hr_officer(self) -> bool:
        return Role.HR_OFFICER in self.roles

    @property
    def scoped_agencies(self) -> list[Agency]:
        return [row.agency for row in self.scope_rows]


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(
        string_enum(Role, "user_role"),
        primary_key=True,
    )


class HrScope(Base):
    """An HR officer sees this agency and everything beneath it."""

    __tablename__ = "hr_scopes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)

    agency: Mapped[Agency] = relationship(lazy="joined")


class UserSession(Base):
    """One sign-in on one device: the cookie carries a random token, only its hash is stored.

    Ending the session (sign-out, "end this session", a password or role change) sets
    ``revoked_at``; every cookie that pointed here, the remember-me one included, is then refused.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the session cookie's token; replaced when the remember-me cookie restores the session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of the remember-me token (a per-login secret, replaced on every use); None without remember-me.
    remember_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: The session's data (Flask's tagged JSON): user id, CSRF token, locale, flashed messages.
    data: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    #: Updated at most once a minute: the idle timeout of privileged roles counts from here.
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Why it ended: signed_out, ended, ended_all, password_changed, roles_changed, deactivated, idle.
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()


class AccountLinkPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class AccountLink(Base):
    """A link mailed to a user to set a password (invitation or reset): single use, short-lived.

    Only the SHA-256 of the link's random token is stored; using the link sets ``used_at``,
    and a newer link of the same purpose ends the older ones.
    """

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[AccountLinkPurpose] = mapped_column(string_enum(AccountLinkPurpose, "account_link_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Who asked for it: the inviting admin's email, or the user themselves for a reset.
    created_by: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship()


class SecondFactor(Base):
    """A user's TOTP authenticator (RFC 6238): the shared secret and the last time step used."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: Base32 secret, encrypted with a key derived from the app's secret key (academy.auth.second_factor).
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The last 30-second step whose code was accepted: a code is never accepted twice.
    last_used_step: Mapped[int] = mapped_column(BigInteger, default=0)


class RecoveryCode(Base):
    """One of a user's ten single-use recovery codes, stored as a SHA-256 (each has 80 random bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def signed_in_user_loading() -> tuple[_AbstractLoad, ...]:
    """What every signed-in page reads of its user, loaded with it: roles, HR scopes and person (one query)."""
    return (joinedload(User.role_rows), joinedload(User.scope_rows), joinedload(User.person))


def signed_in_session_loading() -> _AbstractLoad:
    """A session row's user, joined in the row's query, with what signed-in pages read of them."""
    return contains_eager(UserSession.user).options(*signed_in_user_loading())
