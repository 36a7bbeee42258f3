"""multipart/mixed bodies: statements with their attachments, in requests and responses."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from lrs.errors import StatementError
from lrs.statements import AttachmentPart
from lrs.validation import MAX_MEDIA_TYPE_LENGTH


def _boundary(content_type: str) -> bytes:
    for piece in content_type.split(";")[1:]:
        name, _sep, value = piece.strip().partition("=")
        if name.strip().lower() == "boundary":
            return value.strip().strip('"').encode()
    raise StatementError("a multipart/mixed request needs a boundary parameter in its Content-Type")


def _headers(block: bytes) -> dict[str, str]:
    headers = {}
    for line in block.decode("utf-8", "replace").split("\r\n"):
        if line.strip():
            name, sep, value = line.partition(":")
            if not sep:
                raise StatementError(f"a multipart part has a malformed header line: {line!r}")
            headers[name.strip().lower()] = value.strip()
    return headers


def parse_multipart(body: bytes, content_type: str) -> tuple[bytes, dict[str, AttachmentPart]]:
    """Split a statement request into the statements' JSON and the attachment parts by sha2."""
    delimiter = b"--" + _boundary(content_type)
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise StatementError("the multipart/mixed body has no parts")
    parts: list[tuple[dict[str, str], bytes]] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise StatementError("a multipart part lacks the blank line after its headers")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        parts.append((_headers(head), content))
    if not parts:
        raise StatementError("the multipart/mixed body has no parts")
    first_headers, statements = parts[0]
    if first_headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise StatementError("the first part of a multipart/mixed request must be the statements, as application/json")
    attachments: dict[str, AttachmentPart] = {}
    for headers, content in parts[1:]:
        sha2 = headers.get("x-experience-api-hash")
        if not sha2:
            raise StatementError("every attachment part needs an X-Experience-API-Hash header")
        if headers.get("content-transfer-encoding", "binary").lower() != "binary":
            raise StatementError("attachment parts must have Content-Transfer-Encoding: binary")
        if hashlib.sha256(content).hexdigest() != sha2.lower():
            raise StatementError(f"the content of the attachment part {sha2} does not match its hash")
        part_type = headers.get("content-type", "application/octet-stream")
        # Stored with the content (lrs_attachments.content_type), so held to its column, without NUL.
        if len(part_type) > MAX_MEDIA_TYPE_LENGTH or "\x00" in part_type:
            raise StatementError(
                f"the Content-Type of the attachment part {sha2} must be a media type of at most "
                f"{MAX_MEDIA_TYPE_LENGTH} characters"
            )
        attachments[sha2.lower()] = AttachmentPart(part_type, content)
    return statements, attachments


def build_multipart(document: bytes, attachments: Iterable[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/mixed response: the JSON document, then each (sha2, content type, content)."""
    boundary = secrets.token_hex(16).encode()
    out = [b"--" + boundary + b"\r\nContent-Type: application/json\r\n\r\n" + document + b"\r\n"]
    for sha2, content_type, content in attachments:
        out.append(
            b"--"
            + boundary
            + b"\r\nContent-Type: "
            + content_type.encode()
            + b"\r\nContent-Transfer-Encoding: binary\r\n"
            b"X-Experience-API-Hash: " + sha2.encode() + b"\r\n\r\n" + content + b"\r\n"
        )
    out.append(b"--" + boundary + b"--")
    return b"".join(out), f"multipart/mixed; boundary={boundary.decode()}"
