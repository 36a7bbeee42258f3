"""The citizen ID (เลขประจำตัวประชาชน): its checksum and the keyed hash that is all the platform keeps of it.

One home for the rule: the people import, the REST bulk upsert, the demo data and the
OpenID Connect sign-in all call these functions. The hash is HMAC-SHA-256 keyed by
``ACADEMY_IDENTITY_KEY``: without the key, the 13-digit number (a small space) cannot be
recovered from it by trying every ID. Changing the key changes every hash: the people are
then re-imported (README, "Citizen IDs").
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

#: The length of a hash as stored (hex of SHA-256).
HASH_LENGTH = 64
_SEPARATORS = str.maketrans("", "", " -")


def normalise_citizen_id(text: str) -> str:
    """The ID without the spaces and dashes it is often printed with (1-2345-67890-12-1)."""
    return text.strip().translate(_SEPARATORS)


def check_digit(first_twelve: str) -> int:
    """The 13th digit the first twelve call for (mod-11 weighted sum, weights 13 down to 2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_twelve, range(13, 1, -1), strict=True))
    return (11 - total % 11) % 10


def citizen_id_problem(text: str) -> str | None:
    """Say what is wrong with a citizen ID, or None when it is 13 digits with the right check digit."""
    number = normalise_citizen_id(text)
    if len(number) != 13 or not number.isascii() or not number.isdigit():
        return "is not a 13-digit citizen ID"
    if number[0] == "0":
        return "is not a citizen ID (it cannot start with 0)"
    if check_digit(number[:12]) != int(number[12]):
        return "has a wrong check digit (the 13th digit)"
    return None


def is_valid_citizen_id(text: str) -> bool:
    return citizen_id_problem(text) is None


def identity_key() -> bytes:
    """The key of this platform's hashes, from its configuration."""
    return str(current_app.config["ACADEMY_IDENTITY_KEY"]).encode("utf-8")


def citizen_id_hash(text: str, key: bytes | None = None) -> str:
    """The keyed hash a valid citizen ID is stored and looked up by (hex, 64 characters)."""
    number = normalise_citizen_id(text)
    return hmac.new(key if key is not None else identity_key(), number.encode("ascii"), hashlib.sha256).hexdigest()


def subject_hash(provider: str, subject: str, key: bytes | None = None) -> str:
    """The keyed hash of an identity provider's subject (some providers use the citizen ID as ``sub``)."""
    message = f"{provider}\x00{subject}".encode()
    return hmac.new(key if key is not None else identity_key(), message, hashlib.sha256).hexdigest()


def make_citizen_id(seed: int) -> str:
    """A valid-checksum citizen ID made from a number (demo and test data: never a real person's by design).

    They all start with 9, so that demo identities are easy to tell apart in the demo provider's data.
    """
    first_twelve = f"9{seed % 10**11:011d}"
    return first_twelve + str(check_digit(first_twelve))
