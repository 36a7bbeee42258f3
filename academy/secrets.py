"""Secrets the platform hands out (API tokens, client and consumer secrets, session cookies) and their stored hashes.

Every such secret is 256 random bits, so one fast SHA-256 (hex, 64 characters) is a safe way to
store it and keeps each request that presents one cheap; a password hash would cost ~50 ms a
request. Passwords are another matter: they are hashed slowly, in academy.auth.services.
Stored hashes are SHA-256 hex of the UTF-8 secret: rows written before this module still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret() -> str:
    """Return a new secret to hand out once: 256 random bits, URL-safe, never containing a dot."""
    return secrets.token_urlsafe(32)


def new_key() -> str:
    """Return a new public key that names a client or consumer (128 random bits, hex)."""
    return secrets.token_hex(16)


def hash_secret(secret: str) -> str:
    """Return the hash a secret is stored (and looked up) by."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Tell whether a presented secret is the one whose hash is stored, in constant time."""
    return hmac.compare_digest(stored_hash, hash_secret(secret))
