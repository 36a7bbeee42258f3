"""API tokens: create (shown once), look up from a bearer header, revoke, list."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import joinedload

from academy.credentials import (
    check_credential_name,
    find_by_key,
    issue_credential,
    list_credentials,
    revoke_credential,
    verify_credential,
)
from academy.db import db
from academy.org.models import Agency
from academy.secrets import new_secret
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
    name = check_credential_name(
        name,
        TokenError,
        missing="a token needs a name (e.g. the HR system that uses it)",
        too_long="a token's name has at most 255 characters",
    )
    token, secret = issue_credential(
        ApiToken,
        make_key=lambda: f"{TOKEN_MARK}{secrets.token_hex(6)}",
        make_secret=lambda prefix: f"{prefix}.{new_secret()}",
        agency=agency,
        name=name,
        created_by=created_by,
    )
    return NewToken(token, secret)


def get_token(prefix: str) -> ApiToken | None:
    if not _PREFIX.fullmatch(prefix):
        return None
    return find_by_key(ApiToken, prefix, joinedload(ApiToken.agency))


def revoke_token(prefix: str) -> ApiToken:
    """Revoke a token: it stops working at once."""
    return revoke_credential(get_token(prefix), prefix, lambda prefix: TokenError(f"no token has the prefix {prefix}"))


def list_tokens() -> list[ApiToken]:
    return list_credentials(ApiToken, ApiToken.created_at.desc(), ApiToken.id, options=[joinedload(ApiToken.agency)])


def authenticate_bearer(authorization: str | None) -> ApiToken | None:
    """The active token an ``Authorization: Bearer ...`` header carries, if it is genuine."""
    if not authorization or authorization[:7].lower() != "bearer ":
        return None
    secret = authorization[7:].strip()
    prefix, dot, _rest = secret.partition(".")
    if not dot or not _PREFIX.fullmatch(prefix):
        return None
    return verify_credential(get_token(prefix), secret)


def note_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Record that the token was used, unless that was recorded a moment ago; True if it changed."""
    now = now or datetime.now(UTC)
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return False
    token.last_used_at = now
    db.session.flush()
    return True
