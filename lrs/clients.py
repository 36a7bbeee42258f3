"""LRS clients: credentials, scopes and the authority they give the statements they store."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from academy.db import db
from lrs.models import LrsClient

#: The xAPI OAuth scopes; "all" implies every other, "all/read" every read.
SCOPES = frozenset(
    {"statements/write", "statements/read", "statements/read/mine", "all/read", "all", "state", "define", "profile"}
)


class ClientError(ValueError):
    """A request about a client that cannot be carried out."""


@dataclass(frozen=True)
class NewClient:
    client: LrsClient
    #: Shown once; only its hash is stored.
    secret: str


def _hash_secret(secret: str) -> str:
    # Secrets are 256-bit random tokens, so a fast hash is safe, and keeps every LRS
    # request (Basic auth each time) cheap; a password hash would cost ~50 ms each.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_client(name: str, scopes: list[str], agency_id: int | None = None) -> NewClient:
    """Add a client with a new key and secret."""
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise ClientError(f"unknown scopes: {', '.join(unknown)} (known: {', '.join(sorted(SCOPES))})")
    if not scopes:
        raise ClientError("a client needs at least one scope")
    if not name.strip():
        raise ClientError("a client needs a name")
    secret = secrets.token_urlsafe(32)
    client = LrsClient(
        name=name.strip(),
        key=secrets.token_hex(16),
        secret_hash=_hash_secret(secret),
        scopes=" ".join(sorted(set(scopes))),
        agency_id=agency_id,
        active=True,
    )
    db.session.add(client)
    db.session.flush()
    return NewClient(client, secret)


def get_client(key: str) -> LrsClient | None:
    return db.session.scalar(select(LrsClient).where(LrsClient.key == key))


def revoke_client(key: str) -> LrsClient:
    client = get_client(key)
    if client is None:
        raise ClientError(f"no client has the key {key}")
    client.active = False
    db.session.flush()
    return client


def list_clients() -> list[LrsClient]:
    return list(db.session.scalars(select(LrsClient).order_by(LrsClient.name)))


def authenticate_basic(authorization: str | None) -> LrsClient | None:
    """The active client named by an HTTP Basic Authorization header, if its secret matches."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        key, _sep, secret = base64.b64decode(authorization[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if not key or len(key) > 64 or "\x00" in key:  # no client has it, and the database cannot look it up
        return None
    client = get_client(key)
    if client is None or not client.active:
        return None
    if not hmac.compare_digest(client.secret_hash, _hash_secret(secret)):
        return None
    return client


def has_scope(client: LrsClient, *wanted: str) -> bool:
    """Whether the client holds any of the wanted scopes (or one that implies it)."""
    held = client.scope_set
    if "all" in held:
        return True
    reads = {"statements/read", "statements/read/mine"}
    return any(scope in held or (scope in reads and "all/read" in held) for scope in wanted)


def authority_of(client: LrsClient, base_url: str) -> dict[str, object]:
    """The authority Agent the LRS writes into the statements this client stores."""
    return {"objectType": "Agent", "name": client.name, "account": {"homePage": base_url, "name": client.key}}
