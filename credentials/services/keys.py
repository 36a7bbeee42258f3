"""The academy's signing keys: Ed25519, named by key id, from ``ACADEMY_CREDENTIAL_KEY``.

``ACADEMY_CREDENTIAL_KEY`` holds one or more ``<key id>=<secret>`` entries (separated by commas,
spaces or new lines), the secret being the 32-byte Ed25519 seed in base64url; or the path of a
file holding them. The first entry signs; the others are older keys. Every public key ever used
is recorded (IssuerKey) and served for ever, so a rotated key keeps old credentials verifiable.
Without the variable, development generates a key into ``instance/credential_key`` on its first
run; production refuses to start issuing without one.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from sqlalchemy import select

from academy.db import db
from credentials.models import IssuerKey
from credentials.multibase import public_key_multibase

KEY_FILE = "credential_key"
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class KeyConfigError(RuntimeError):
    """``ACADEMY_CREDENTIAL_KEY`` does not describe usable keys."""


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_multibase(self) -> str:
        return public_key_multibase(self.public_raw)


def new_key_entry(key_id: str) -> str:
    """A new ``<key id>=<seed>`` entry for ``ACADEMY_CREDENTIAL_KEY`` (``flask academy credential-key``)."""
    return f"{key_id}={base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip('=')}"


def parse_keys(text: str) -> list[SigningKey]:
    """The keys of an ``ACADEMY_CREDENTIAL_KEY`` value (entries, or a file of them), first the signing one."""
    text = text.strip()
    if text and "=" not in text.split()[0] and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    keys = []
    for entry in re.split(r"[\s,]+", text):
        if not entry:
            continue
        key_id, _, seed = entry.partition("=")
        if not _KEY_ID.match(key_id) or not seed:
            raise KeyConfigError(f"ACADEMY_CREDENTIAL_KEY: {key_id!r} is not <key id>=<base64url seed>")
        try:
            raw = base64.urlsafe_b64decode(seed + "=" * (-len(seed) % 4))
        except ValueError:
            raise KeyConfigError(f"ACADEMY_CREDENTIAL_KEY: the seed of {key_id!r} is not base64url") from None
        if len(raw) != 32:
            raise KeyConfigError(f"ACADEMY_CREDENTIAL_KEY: the seed of {key_id!r} must be 32 bytes")
        keys.append(SigningKey(key_id, Ed25519PrivateKey.from_private_bytes(raw)))
    if not keys:
        raise KeyConfigError("ACADEMY_CREDENTIAL_KEY holds no key")
    return keys


def _development_keys(instance_dir: Path) -> str:
    path = instance_dir / KEY_FILE
    if path.exists() and path.read_text(encoding="utf-8").strip():
        return path.read_text(encoding="utf-8")
    instance_dir.mkdir(parents=True, exist_ok=True)
    entry = new_key_entry("dev-1")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8")
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(entry + "\n")
    return entry


@cache
def _testing_keys() -> str:
    return new_key_entry("test-1")


@cache
def _cached_keys(text: str) -> tuple[SigningKey, ...]:
    return tuple(parse_keys(text))


def configured_keys() -> tuple[SigningKey, ...]:
    """This app's keys, the signing key first."""
    text = current_app.config.get("ACADEMY_CREDENTIAL_KEY") or ""
    if not text:
        mode = current_app.config.get("ACADEMY_ENV")
        if mode == "production":
            raise KeyConfigError("ACADEMY_CREDENTIAL_KEY is required when ACADEMY_ENV=production")
        # Tests get a key of their own, in memory; development keeps one under instance/.
        text = _testing_keys() if mode == "testing" else _development_keys(Path(current_app.instance_path))
        current_app.config["ACADEMY_CREDENTIAL_KEY"] = text
    return _cached_keys(text)


def signing_key() -> SigningKey:
    """The key that signs now, its public half recorded (IssuerKey) on first use."""
    key = configured_keys()[0]
    record_public_keys()
    return key


def record_public_keys() -> None:
    """Record every configured public key not recorded yet (once per key id, for ever)."""
    keys = configured_keys()
    stored = dict(
        db.session.execute(
            select(IssuerKey.key_id, IssuerKey.public_key_multibase).where(
                IssuerKey.key_id.in_([key.key_id for key in keys])
            )
        ).all()
    )
    for key in keys:
        if key.key_id not in stored:
            db.session.add(IssuerKey(key_id=key.key_id, public_key_multibase=key.public_multibase))
        elif stored[key.key_id] != key.public_multibase:
            raise KeyConfigError(f"key id {key.key_id!r} was used before with another key: give the new key a new id")
    if len(stored) < len(keys):
        db.session.flush()


def public_keys() -> dict[str, str]:
    """Every public key the academy has used, by key id (the issuer document and our verifier)."""
    record_public_keys()
    return dict(db.session.execute(select(IssuerKey.key_id, IssuerKey.public_key_multibase)).all())


def public_key(key_id: str) -> str | None:
    """The public key the academy used under ``key_id`` (our verifier: one lookup); None if it never did."""
    return db.session.scalar(select(IssuerKey.public_key_multibase).where(IssuerKey.key_id == key_id))


@lru_cache(maxsize=64)
def verifier_for(multibase: str) -> Ed25519PublicKey:
    from credentials.multibase import raw_public_key

    return Ed25519PublicKey.from_public_bytes(raw_public_key(multibase))
