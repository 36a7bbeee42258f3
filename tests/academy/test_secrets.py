"""One way to make the secrets the platform hands out, and to store and check them."""

from __future__ import annotations

import re

from academy.secrets import hash_secret, new_key, new_secret, secret_matches


def test_stored_hashes_keep_their_format_so_existing_rows_still_verify() -> None:
    # SHA-256 hex of the UTF-8 secret: the format LRS clients, API tokens, GDX consumers and
    # tokens, sessions and cmi5 launches stored before there was one function for it.
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert hash_secret("ทดสอบ") == "c8d275859534d69ce76f6cd2266057857df1e2b0d12b17f6763d9173d33b6072"  # UTF-8


def test_a_secret_matches_only_its_own_hash() -> None:
    secret = new_secret()
    stored = hash_secret(secret)
    assert secret_matches(secret, stored)
    assert not secret_matches(secret + "x", stored)
    assert not secret_matches(new_secret(), stored)


def test_new_secrets_and_keys_are_random_url_safe_and_dotless() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", s) for s in secrets)  # 256 bits; a dot separates token parts
    keys = {new_key() for _ in range(50)}
    assert len(keys) == 50 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
