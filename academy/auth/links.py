"""Links mailed to set a password: invitations (72 hours) and password resets (2 hours).

A link carries a random token (256 bits); only its SHA-256 is stored, so a copy of the
database opens nothing. A link works once: setting the password marks it used, and a newer
link of the same purpose for the same user ends the older ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from academy.auth.models import AccountLink, AccountLinkPurpose, User
from academy.auth.services import set_password
from academy.auth.sessions import end_user_sessions
from academy.db import db
from academy.secrets import hash_secret, new_secret

LINK_LIFETIMES = {
    AccountLinkPurpose.INVITATION: timedelta(hours=72),
    AccountLinkPurpose.PASSWORD_RESET: timedelta(hours=2),
}


@dataclass(frozen=True)
class IssuedLink:
    """A stored link and its token, which goes into the mail and nowhere else."""

    link: AccountLink
    token: str


def _now() -> datetime:
    return datetime.now(UTC)


def issue_link(user: User, purpose: AccountLinkPurpose, *, created_by: str, now: datetime | None = None) -> IssuedLink:
    """Add a link for ``user``; the user's earlier unused links of this purpose stop working."""
    now = now or _now()
    db.session.execute(
        update(AccountLink)
        .where(AccountLink.user_id == user.id, AccountLink.purpose == purpose, AccountLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )
    token = new_secret()
    link = AccountLink(
        user_id=user.id,
        purpose=purpose,
        token_hash=hash_secret(token),
        created_at=now,
        expires_at=now + LINK_LIFETIMES[purpose],
        created_by=created_by,
    )
    db.session.add(link)
    db.session.flush()
    return IssuedLink(link=link, token=token)


def find_link(token: str, purpose: AccountLinkPurpose, now: datetime | None = None) -> AccountLink | None:
    """The unused, unexpired link of this purpose that the token names, for an active user; else None."""
    if not token or len(token) > 100:
        return None
    now = now or _now()
    return db.session.scalar(
        select(AccountLink)
        .join(User, User.id == AccountLink.user_id)
        .where(
            AccountLink.token_hash == hash_secret(token),
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
            AccountLink.expires_at > now,
            User.active.is_(True),
        )
    )


def use_link(link: AccountLink, password: str, now: datetime | None = None) -> int:
    """Set the user's password through the link (policy checked: AccountError), spend the link.

    Every session of the user ends (a reset is often because someone else got in); return how many.
    """
    now = now or _now()
    set_password(link.user, password)
    # Spent only if no one spent it meanwhile: two submissions at once cannot both succeed.
    spent = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if not getattr(spent, "rowcount", 0):
        raise LinkUsedError("this link was used already")
    reason = "password_reset" if link.purpose is AccountLinkPurpose.PASSWORD_RESET else "password_changed"
    return end_user_sessions(link.user_id, reason=reason, now=now)


class LinkUsedError(RuntimeError):
    """The link was spent by a concurrent request."""
