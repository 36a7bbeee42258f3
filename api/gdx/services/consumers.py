"""GDX consumers: Consumer-Key and secret (shown once, stored hashed), and the Tokens they validate for."""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from academy.credentials import (
    check_credential_name,
    find_by_key,
    issue_credential,
    list_credentials,
    revoke_credential,
    verify_credential,
)
from academy.db import db
from academy.secrets import hash_secret, new_secret
from api.gdx.models import GdxConsumer, GdxToken

#: How stale a token's last use may be before it is written again: one write a minute
#: per consumer at most, instead of one per request (so a token lapses up to a minute early).
TOUCH_EVERY = timedelta(seconds=60)


class ConsumerError(ValueError):
    """A request about a consumer that cannot be carried out."""


class AuthFailure(enum.StrEnum):
    """Why a request is not authenticated; the value is the error code the API answers."""

    MISSING_CONSUMER_KEY = "missing_consumer_key"
    MISSING_SECRET = "missing_consumer_secret"
    INVALID_CONSUMER = "invalid_consumer"
    MISSING_TOKEN = "missing_token"
    INVALID_TOKEN = "invalid_token"
    EXPIRED_TOKEN = "expired_token"


class AuthError(Exception):
    def __init__(self, failure: AuthFailure) -> None:
        super().__init__(failure.value)
        self.failure = failure


@dataclass(frozen=True)
class NewConsumer:
    consumer: GdxConsumer
    #: Shown once; only its hash is stored.
    secret: str


@dataclass(frozen=True)
class IssuedToken:
    token: str
    idle_seconds: int


def create_consumer(name: str) -> NewConsumer:
    """Add a consumer with a new Consumer-Key and secret."""
    name = check_credential_name(
        name,
        ConsumerError,
        missing="a consumer needs a name",
        too_long="a consumer's name has at most 255 characters",
    )
    consumer, secret = issue_credential(GdxConsumer, name=name, active=True)
    return NewConsumer(consumer, secret)


def get_consumer(key: str) -> GdxConsumer | None:
    return find_by_key(GdxConsumer, key)


def revoke_consumer(key: str, now: datetime | None = None) -> GdxConsumer:
    """Disable a consumer and drop its tokens: they stop working at once."""
    consumer = revoke_credential(
        get_consumer(key.strip()), key, lambda key: ConsumerError(f"no GDX consumer has the key {key}"), now
    )
    db.session.execute(delete(GdxToken).where(GdxToken.consumer_id == consumer.id))
    db.session.flush()
    return consumer


def list_consumers() -> list[GdxConsumer]:
    return list_credentials(GdxConsumer, GdxConsumer.active.desc(), GdxConsumer.name)


def issue_token(key: str | None, secret: str | None, idle: timedelta, now: datetime | None = None) -> IssuedToken:
    """Exchange an active consumer's key and secret for a new Token (the validate call)."""
    if not key:
        raise AuthError(AuthFailure.MISSING_CONSUMER_KEY)
    if not secret:
        raise AuthError(AuthFailure.MISSING_SECRET)
    consumer = verify_credential(get_consumer(key), secret)
    if consumer is None:
        raise AuthError(AuthFailure.INVALID_CONSUMER)
    now = now or datetime.now(UTC)
    # Tokens this consumer let lapse are of no use to anyone: clear them as we go.
    db.session.execute(delete(GdxToken).where(GdxToken.consumer_id == consumer.id, GdxToken.last_used_at < now - idle))
    token = new_secret()
    db.session.add(GdxToken(consumer_id=consumer.id, token_hash=hash_secret(token), created_at=now, last_used_at=now))
    db.session.flush()
    return IssuedToken(token, int(idle.total_seconds()))


def authenticate(key: str | None, token: str | None, idle: timedelta, now: datetime | None = None) -> GdxConsumer:
    """The consumer a data call's Consumer-Key and Token headers name, if the token is alive."""
    if not key:
        raise AuthError(AuthFailure.MISSING_CONSUMER_KEY)
    if not token:
        raise AuthError(AuthFailure.MISSING_TOKEN)
    row = db.session.scalar(select(GdxToken).where(GdxToken.token_hash == hash_secret(token)))
    if row is None or not hmac.compare_digest(row.consumer.key, key) or not row.consumer.active:
        raise AuthError(AuthFailure.INVALID_TOKEN)
    now = now or datetime.now(UTC)
    if now - row.last_used_at > idle:
        raise AuthError(AuthFailure.EXPIRED_TOKEN)  # cleared at the consumer's next validate
    if now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
        db.session.flush()
    return row.consumer
