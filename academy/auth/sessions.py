"""Server-side sessions: one row per sign-in; ending the row refuses every cookie that points at it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, select, update

from academy.audit.services import record_audit
from academy.auth.models import Role, User, UserRole, UserSession, signed_in_session_loading
from academy.db import db
from academy.secrets import hash_secret, new_secret

#: Privileged roles are signed out after a short idle time (ACADEMY_PRIVILEGED_IDLE_MINUTES).
PRIVILEGED_ROLES = (Role.ADMIN, Role.HR_OFFICER)
#: last_seen_at is written at most this often, so that a page view is not a write.
LAST_SEEN_EVERY = timedelta(minutes=1)
_USER_AGENT_LENGTH = 255


@dataclass(frozen=True)
class SessionLimits:
    """How long sessions last: without and with remember-me, and idle for privileged roles."""

    hours: int = 12
    remember_days: int = 30
    privileged_idle_minutes: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SessionLimits:
        return cls(
            hours=int(config.get("ACADEMY_SESSION_HOURS", cls.hours)),
            remember_days=int(config.get("ACADEMY_REMEMBER_DAYS", cls.remember_days)),
            privileged_idle_minutes=int(config.get("ACADEMY_PRIVILEGED_IDLE_MINUTES", cls.privileged_idle_minutes)),
        )


@dataclass(frozen=True)
class IssuedSession:
    """A session row and the plain tokens for its cookies, which are never stored."""

    row: UserSession
    token: str
    remember_token: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def start_user_session(
    user: User,
    *,
    remember: bool,
    ip_address: str | None,
    user_agent: str,
    limits: SessionLimits,
    now: datetime | None = None,
    data: str = "",
) -> IssuedSession:
    """Add a session for a user who has just signed in, with a remember-me token if asked for.

    ``data`` is the session's data (serialised) when it is known at sign-in.
    """
    now = now or _now()
    token = new_secret()
    remember_token = new_secret() if remember else None
    lifetime = timedelta(days=limits.remember_days) if remember else timedelta(hours=limits.hours)
    row = UserSession(
        user_id=user.id,
        token_hash=hash_secret(token),
        remember_hash=hash_secret(remember_token) if remember_token else None,
        data=data,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        ip_address=ip_address,
        user_agent=user_agent[:_USER_AGENT_LENGTH],
    )
    db.session.add(row)
    db.session.flush()
    return IssuedSession(row=row, token=token, remember_token=remember_token)


def find_active_session(
    *, token: str | None = None, remember_token: str | None = None, limits: SessionLimits, now: datetime | None = None
) -> UserSession | None:
    """The live session of an active user that this cookie token names, else None.

    A privileged user's session idle for longer than the limit is ended here (and audited).
    """
    now = now or _now()
    condition: ColumnElement[bool]
    if token:
        condition = UserSession.token_hash == hash_secret(token)
    elif remember_token:
        condition = UserSession.remember_hash == hash_secret(remember_token)
    else:
        return None
    privileged = exists().where(UserRole.user_id == UserSession.user_id, UserRole.role.in_(PRIVILEGED_ROLES))
    # The user comes with the row (row.user), as every signed-in page reads it: Flask-Login then finds it loaded.
    rows = (
        db.session.execute(
            select(UserSession, privileged.label("privileged"))
            .join(UserSession.user)
            .where(condition, UserSession.revoked_at.is_(None), UserSession.expires_at > now, User.active.is_(True))
            .options(signed_in_session_loading())
        )
        .unique()
        .all()  # every row: the user's joined collections are complete only then
    )
    if not rows:
        return None
    row, is_privileged = rows[0]
    email = row.user.email
    idle = now - row.last_seen_at
    if is_privileged and idle > timedelta(minutes=limits.privileged_idle_minutes):
        end_session(row, reason="idle", now=now)
        record_audit(
            "auth.session_timeout",
            target_type="user_session",
            target_id=row.id,
            actor=email,
            user_id=row.user_id,
            details={"idle_minutes": int(idle.total_seconds() // 60)},
        )
        return None
    return row


def rotate_session_tokens(row: UserSession, now: datetime | None = None) -> IssuedSession:
    """Give a session new cookie tokens (the remember-me one is spent on use); the old ones stop working."""
    now = now or _now()
    token = new_secret()
    remember_token = new_secret() if row.remember_hash is not None else None
    row.token_hash = hash_secret(token)
    row.remember_hash = hash_secret(remember_token) if remember_token else None
    row.last_seen_at = now
    db.session.flush()
    return IssuedSession(row=row, token=token, remember_token=remember_token)


def save_session_state(
    session_id: int, *, data: str | None, seen_at: datetime | None, now: datetime | None = None
) -> None:
    """Store a live session's data and/or the time it was last used."""
    values: dict[str, Any] = {}
    if data is not None:
        values["data"] = data
    if seen_at is not None:
        values["last_seen_at"] = seen_at
    if values:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def end_session(row: UserSession, *, reason: str, now: datetime | None = None) -> None:
    """End one session: its cookies, the remember-me one included, are refused from now on."""
    if row.revoked_at is None:
        row.revoked_at = now or _now()
        row.revoked_reason = reason
        row.remember_hash = None
        db.session.flush()


def end_user_sessions(user_id: int, *, reason: str, keep: int | None = None, now: datetime | None = None) -> int:
    """End every live session of a user (but ``keep``); return how many were ended."""
    query = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep)
    result = db.session.execute(
        query.values(revoked_at=now or _now(), revoked_reason=reason, remember_hash=None).execution_options(
            synchronize_session="fetch"
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def active_sessions_of(user_id: int, now: datetime | None = None) -> list[UserSession]:
    """A user's live sessions, the most recently used first."""
    now = now or _now()
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def get_user_session(user_id: int, session_id: int) -> UserSession | None:
    """One of this user's sessions (None for another user's: a user may end only their own)."""
    row = db.session.get(UserSession, session_id)
    return row if row is not None and row.user_id == user_id else None


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """A short name for the browser and system of a User-Agent, e.g. "Firefox, Windows"."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser or system:
        return ", ".join(part for part in (browser, system) if part)
    # Not a browser we know: the product token, without its version noise.
    match = re.match(r"[\w.-]+", user_agent)
    return match.group(0) if match else ""
