"""Signed statements (xAPI Data 2.6): the JWS in a signature attachment must be well formed,
use RS256/384/512, carry the statement as its payload and, when it names its certificate
(x5c), verify against it."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lrs.compare import comparable
from lrs.errors import StatementError
from lrs.versions import XapiVersion

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
#: Properties the LRS may add or change after signing: they do not count in the comparison.
_UNSIGNED = frozenset({"attachments", "authority", "stored", "version"})


def _b64url(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise StatementError(f"the signature's {what} is not base64url") from None


def check_signatures(statement: Mapping[str, Any], parts: Mapping[str, Any], path: str, version: XapiVersion) -> None:
    """Raise StatementError unless every signature attachment of the statement is valid."""
    for index, attachment in enumerate(statement.get("attachments") or ()):
        if attachment.get("usageType") != SIGNATURE_USAGE:
            continue
        where = f"{path}.attachments[{index}]"
        if attachment.get("contentType", "").split(";")[0].strip().lower() != "application/octet-stream":
            raise StatementError(f"{where}.contentType: a signature must be application/octet-stream")
        part = parts.get(attachment["sha2"].lower())
        if part is None:
            raise StatementError(f"{where}: the signature's content is missing from the request")
        _verify(part.content, statement, where, version)


def _verify(jws: bytes, statement: Mapping[str, Any], where: str, version: XapiVersion) -> None:
    try:
        header_b64, payload_b64, signature_b64 = jws.decode("ascii").strip().split(".")
    except (UnicodeDecodeError, ValueError):
        raise StatementError(f"{where}: the signature is not a JWS in compact serialization") from None
    try:
        header = json.loads(_b64url(header_b64, "header"))
        payload = json.loads(_b64url(payload_b64, "payload"))
    except (ValueError, UnicodeDecodeError):
        raise StatementError(f"{where}: the signature's header and payload must be JSON") from None
    if not isinstance(header, dict) or header.get("alg") not in _HASHES:
        raise StatementError(f"{where}: the signature's algorithm must be RS256, RS384 or RS512")
    if not isinstance(payload, dict) or comparable(payload, version, _UNSIGNED) != comparable(
        statement, version, _UNSIGNED
    ):
        raise StatementError(f"{where}: the signature's payload is not the statement that was signed")
    certificates = header.get("x5c")
    if certificates:
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(certificates[0]))
        except (ValueError, TypeError, binascii.Error):
            raise StatementError(f"{where}: the signature's x5c certificate cannot be read") from None
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise StatementError(f"{where}: the signature's certificate must hold an RSA key")
        try:
            key.verify(
                _b64url(signature_b64, "signature"),
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                _HASHES[header["alg"]](),
            )
        except InvalidSignature:
            raise StatementError(f"{where}: the signature does not verify against its x5c certificate") from None
