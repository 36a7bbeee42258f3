"""Multibase encodings: base58btc (``z``) for keys and signatures, base64url (``u``) for status lists."""

from __future__ import annotations

import base64

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
#: The multicodec prefix of an Ed25519 public key (0xed, as an unsigned varint).
ED25519_PUB = b"\xed\x01"


def base58_encode(data: bytes) -> str:
    """Bitcoin's base58 of ``data`` (leading zero bytes become ``1``)."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(digits))


def base58_decode(text: str) -> bytes:
    """The bytes of a base58 string; ValueError if it is not one."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"not base58: {char!r}")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode_z(data: bytes) -> str:
    """Multibase base58btc."""
    return "z" + base58_encode(data)


def decode_z(text: str) -> bytes:
    """The bytes of a multibase base58btc string; ValueError otherwise."""
    if not text.startswith("z"):
        raise ValueError("not multibase base58btc")
    return base58_decode(text[1:])


def encode_u(data: bytes) -> str:
    """Multibase base64url without padding."""
    return "u" + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_u(text: str) -> bytes:
    """The bytes of a multibase base64url string; ValueError otherwise."""
    if not text.startswith("u"):
        raise ValueError("not multibase base64url")
    body = text[1:]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def public_key_multibase(raw: bytes) -> str:
    """A Multikey's ``publicKeyMultibase`` for a raw 32-byte Ed25519 public key."""
    return encode_z(ED25519_PUB + raw)


def raw_public_key(multibase: str) -> bytes:
    """The raw Ed25519 public key of a ``publicKeyMultibase``; ValueError if it is not one."""
    data = decode_z(multibase)
    if not data.startswith(ED25519_PUB) or len(data) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return data[2:]
