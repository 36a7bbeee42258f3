"""API tokens: create (shown once), look up from a bearer header, revoke, list."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from academy.db import db
from academy.org.models import Agency
from academy.secrets import hash_secret, new_secret, secret_matches
from api.rest.models import ApiToken

#: Every token starts with this, so that secret scanners and people recognise it.
TOKEN_MARK = "ewa_"
_PREFIX = re.compile(r"ewa_[0-9a-f]{12}")
#: last_used_at is written at most this often: a write per request would cost more than it tells.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A request about a token that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    #: The whole bearer token, shown once; only its hash is stored.
    secret: str


def create_token(agency: Agency, name: str, created_by: str) -> NewToken:
    """Add a token for an agency's HR system."""
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name (e.g. the HR system that uses it)")
    if len(name) > 255:
        raise TokenError("a token's name has at most 255 characters")
    prefix = f"{TOKEN_MARK}{secrets.token_hex(6)}"
    secret = f"{prefix}.{new_secret()}"
    token = ApiToken(agency=agency, name=name, prefix=prefix, token_hash=hash_secret(secret), created_by=created_by)
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret)


def get_token(prefix: str) -> ApiToken | None:
    if not _PREFIX.fullmatch(prefix):
        return None
    return db.session.scalar(select(ApiToken).where(ApiToken.prefix == prefix).options(joinedload(ApiToken.agency)))


def revoke_token(prefix: str) -> ApiToken:
    """Revoke a token: it stops working at once."""
    token = get_token(prefix)
    if token is None:
        raise TokenError(f"no token has the prefix {prefix}")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        db.session.flush()
    return token


def list_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).options(joinedload(ApiToken.agency)).order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def authenticate_bearer(authorization: str | None) -> ApiToken | None:
    """The active token an ``Authorization: Bearer ...`` header carries, if it is genuine."""
    if not authorization or authorization[:7].lower() != "bearer ":
        return None
    secret = authorization[7:].strip()
    prefix, dot, _rest = secret.partition(".")
    if not dot or not _PREFIX.fullmatch(prefix):
        return None
    token = get_token(prefix)
    if token is None or token.revoked_at is not None:
        return None
    if not secret_matches(secret, token.token_hash):
        return None
    return token


def note_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Record that the token was used, unless that was recorded a moment ago; True if it changed."""
    now = now or datetime.now(UTC)
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return False
    token.last_used_at = now
    db.session.flush()
    return True
