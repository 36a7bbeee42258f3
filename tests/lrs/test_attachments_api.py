"""Statements with attachments (multipart/mixed) and signed statements (JWS, RS256), xAPI Data 2.4.11
and 2.6, Communication 1.5."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from werkzeug.test import TestResponse

from tests.support.lrs import Xapi, statement

VERSIONS = ["1.0.3", "2.0.0"]
BOUNDARY = "xapi-test-boundary-7d3f"
CERTIFICATE_USAGE = "http://id.tincanapi.com/attachment/certificate-of-completion"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
CONTENT = b"%PDF-1.4 certificate of completion\r\n\x00\x01\x02 binary tail"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def attachment(
    content: bytes = CONTENT, *, content_type: str = "application/pdf", usage: str = CERTIFICATE_USAGE, **extra: Any
) -> dict[str, Any]:
    return {
        "usageType": usage,
        "display": {"en-US": "Certificate"},
        "contentType": content_type,
        "length": len(content),
        "sha2": sha256(content),
        **extra,
    }


def multipart(document: Any, parts: list[tuple[str, bytes, str]]) -> bytes:
    """A multipart/mixed request body: the statements, then each (content type, content, hash) part."""
    body = [
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(document).encode(),
        b"\r\n",
    ]
    for content_type, content, sha2 in parts:
        body.append(
            f"--{BOUNDARY}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode()
        )
        body += [content, b"\r\n"]
    body.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(body)


def post_multipart(
    xapi: Xapi, document: Any, parts: list[tuple[str, bytes, str]], version: str = "2.0.0"
) -> TestResponse:
    return xapi(
        "POST",
        "/xapi/statements",
        data=multipart(document, parts),
        content_type=f"multipart/mixed; boundary={BOUNDARY}",
        version=version,
    )


def read_multipart(response: TestResponse) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart/mixed response: (lower-cased headers, content)."""
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed")
    boundary = content_type.split("boundary=")[1].strip('"').encode()
    parts = []
    for chunk in response.get_data().split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _sep, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode().split("\r\n"):
            name, _colon, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append((headers, content.removesuffix(b"\r\n")))
    return parts


# --- attachments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_statement_with_an_attachment_part_is_stored(xapi: Xapi, version: str) -> None:
    response = post_multipart(
        xapi, statement(attachments=[attachment()]), [("application/pdf", CONTENT, sha256(CONTENT))], version
    )
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()) == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_get_with_attachments_returns_the_same_bytes_and_hash(xapi: Xapi, version: str) -> None:
    [statement_id] = post_multipart(
        xapi, statement(attachments=[attachment()]), [("application/pdf", CONTENT, sha256(CONTENT))], version
    ).get_json()
    response = xapi("GET", f"/xapi/statements?statementId={statement_id}&attachments=true", version=version)
    assert response.status_code == 200
    [(json_headers, document), (headers, content)] = read_multipart(response)
    assert json_headers["content-type"].startswith("application/json")
    assert json.loads(document)["id"] == statement_id
    assert content == CONTENT
    assert headers["x-experience-api-hash"] == sha256(CONTENT)
    assert headers["content-type"] == "application/pdf"
    assert headers["content-transfer-encoding"] == "binary"


def test_get_with_attachments_of_a_statement_list_returns_each_attachment_once(xapi: Xapi) -> None:
    document = [statement(attachments=[attachment()]), statement(attachments=[attachment()])]
    assert post_multipart(xapi, document, [("application/pdf", CONTENT, sha256(CONTENT))]).status_code == 200
    response = xapi("GET", "/xapi/statements?attachments=true")
    [(_json_headers, result), (headers, content)] = read_multipart(response)
    assert len(json.loads(result)["statements"]) == 2
    assert content == CONTENT and headers["x-experience-api-hash"] == sha256(CONTENT)


def test_get_without_the_attachments_flag_returns_plain_json(xapi: Xapi) -> None:
    [statement_id] = post_multipart(
        xapi, statement(attachments=[attachment()]), [("application/pdf", CONTENT, sha256(CONTENT))]
    ).get_json()
    response = xapi("GET", f"/xapi/statements?statementId={statement_id}")
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json()["attachments"][0]["sha2"] == sha256(CONTENT)


def test_get_with_attachments_finds_an_upper_case_sha2(xapi: Xapi) -> None:
    upper = attachment(sha2=sha256(CONTENT).upper())
    [statement_id] = post_multipart(
        xapi, statement(attachments=[upper]), [("application/pdf", CONTENT, sha256(CONTENT))]
    ).get_json()
    response = xapi("GET", f"/xapi/statements?statementId={statement_id}&attachments=true")
    parts = read_multipart(response)
    assert [content for _headers, content in parts[1:]] == [CONTENT]


@pytest.mark.parametrize("version", VERSIONS)
def test_attachment_without_file_url_and_without_its_part_is_400(xapi: Xapi, version: str) -> None:
    response = post_multipart(xapi, statement(attachments=[attachment()]), [], version)
    assert response.status_code == 400
    assert sha256(CONTENT) in response.get_json()["error"]
    assert xapi("GET", "/xapi/statements").get_json()["statements"] == []


def test_attachment_without_file_url_sent_as_plain_json_is_400(xapi: Xapi) -> None:
    response = xapi("POST", "/xapi/statements", json_body=statement(attachments=[attachment()]))
    assert response.status_code == 400


@pytest.mark.parametrize("version", VERSIONS)
def test_part_whose_bytes_do_not_match_its_hash_is_400(xapi: Xapi, version: str) -> None:
    response = post_multipart(
        xapi, statement(attachments=[attachment()]), [("application/pdf", CONTENT + b"!", sha256(CONTENT))], version
    )
    assert response.status_code == 400
    assert "hash" in response.get_json()["error"]


def test_part_matching_no_attachment_is_400(xapi: Xapi) -> None:
    other = b"unrelated"
    response = post_multipart(
        xapi,
        statement(attachments=[attachment()]),
        [("application/pdf", CONTENT, sha256(CONTENT)), ("text/plain", other, sha256(other))],
    )
    assert response.status_code == 400


def test_part_without_a_hash_header_is_400(xapi: Xapi) -> None:
    body = multipart(statement(attachments=[attachment()]), []).replace(
        f"--{BOUNDARY}--".encode(),
        f"--{BOUNDARY}\r\nContent-Type: application/pdf\r\n\r\n".encode() + CONTENT + f"\r\n--{BOUNDARY}--".encode(),
    )
    response = xapi("POST", "/xapi/statements", data=body, content_type=f"multipart/mixed; boundary={BOUNDARY}")
    assert response.status_code == 400


def test_multipart_without_a_boundary_is_400(xapi: Xapi) -> None:
    body = multipart(statement(attachments=[attachment()]), [("application/pdf", CONTENT, sha256(CONTENT))])
    response = xapi("POST", "/xapi/statements", data=body, content_type="multipart/mixed")
    assert response.status_code == 400


def test_multipart_with_a_quoted_boundary_is_read(xapi: Xapi) -> None:
    body = multipart(statement(attachments=[attachment()]), [("application/pdf", CONTENT, sha256(CONTENT))])
    response = xapi("POST", "/xapi/statements", data=body, content_type=f'multipart/mixed; boundary="{BOUNDARY}"')
    assert response.status_code == 200, response.get_json()


def test_multipart_whose_first_part_is_not_json_is_400(xapi: Xapi) -> None:
    body = multipart(statement(), []).replace(b"Content-Type: application/json", b"Content-Type: text/plain", 1)
    response = xapi("POST", "/xapi/statements", data=body, content_type=f"multipart/mixed; boundary={BOUNDARY}")
    assert response.status_code == 400


@pytest.mark.parametrize("version", VERSIONS)
def test_attachment_with_file_url_needs_no_part(xapi: Xapi, version: str) -> None:
    remote = attachment(fileUrl="https://academy.test/certificates/123.pdf")
    response = xapi("POST", "/xapi/statements", json_body=statement(attachments=[remote]), version=version)
    assert response.status_code == 200, response.get_json()
    [statement_id] = response.get_json()
    stored = xapi("GET", f"/xapi/statements?statementId={statement_id}", version=version).get_json()
    assert stored["attachments"][0]["fileUrl"] == "https://academy.test/certificates/123.pdf"


def test_put_statement_with_an_attachment_part_is_stored(xapi: Xapi) -> None:
    statement_id = str(uuid.uuid4())
    response = xapi(
        "PUT",
        f"/xapi/statements?statementId={statement_id}",
        data=multipart(statement(attachments=[attachment()]), [("application/pdf", CONTENT, sha256(CONTENT))]),
        content_type=f"multipart/mixed; boundary={BOUNDARY}",
    )
    assert response.status_code == 204
    got = xapi("GET", f"/xapi/statements?statementId={statement_id}&attachments=true")
    assert read_multipart(got)[1][1] == CONTENT


# --- signed statements ---------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed_certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Academy test signer")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


def sign(payload: dict[str, Any], key: rsa.RSAPrivateKey, header: dict[str, Any] | None = None) -> bytes:
    """A compact JWS of the payload, RS256 unless the header says otherwise."""
    header_b64 = b64url(json.dumps(header or {"alg": "RS256"}).encode())
    payload_b64 = b64url(json.dumps(payload).encode())
    signature = key.sign(f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header_b64}.{payload_b64}.{b64url(signature)}".encode()


def x5c_header(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    der = self_signed_certificate(key).public_bytes(serialization.Encoding.DER)
    return {"alg": "RS256", "x5c": [base64.b64encode(der).decode()]}


def tamper(jws: bytes) -> bytes:
    header, payload, signature = jws.decode().split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[10] ^= 0xFF
    return f"{header}.{payload}.{b64url(bytes(raw))}".encode()


def post_signed(xapi: Xapi, signed: dict[str, Any], jws: bytes, version: str = "2.0.0") -> TestResponse:
    """POST `signed` with the JWS attached as its signature."""
    document = {
        **signed,
        "attachments": [attachment(jws, content_type="application/octet-stream", usage=SIGNATURE_USAGE)],
    }
    return post_multipart(xapi, document, [("application/octet-stream", jws, sha256(jws))], version)


def signed_statement() -> dict[str, Any]:
    return statement(id=str(uuid.uuid4()), timestamp="2024-05-04T10:00:00.000Z")


@pytest.mark.parametrize("version", VERSIONS)
def test_statement_signed_with_rs256_is_stored(xapi: Xapi, rsa_key: rsa.RSAPrivateKey, version: str) -> None:
    signed = signed_statement()
    response = post_signed(xapi, signed, sign(signed, rsa_key), version)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == [signed["id"]]


def test_signature_is_returned_with_the_statement(xapi: Xapi, rsa_key: rsa.RSAPrivateKey) -> None:
    signed = signed_statement()
    jws = sign(signed, rsa_key)
    post_signed(xapi, signed, jws)
    response = xapi("GET", f"/xapi/statements?statementId={signed['id']}&attachments=true")
    [_document, (headers, content)] = read_multipart(response)
    assert content == jws and headers["x-experience-api-hash"] == sha256(jws)


@pytest.mark.parametrize("version", VERSIONS)
def test_signature_with_hs256_is_400(xapi: Xapi, rsa_key: rsa.RSAPrivateKey, version: str) -> None:
    signed = signed_statement()
    response = post_signed(xapi, signed, sign(signed, rsa_key, {"alg": "HS256"}), version)
    assert response.status_code == 400
    assert "algorithm" in response.get_json()["error"]


@pytest.mark.parametrize("version", VERSIONS)
def test_signature_whose_payload_differs_from_the_statement_is_400(
    xapi: Xapi, rsa_key: rsa.RSAPrivateKey, version: str
) -> None:
    signed = signed_statement()
    other = {**signed, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed", "display": {"en-US": "failed"}}}
    response = post_signed(xapi, signed, sign(other, rsa_key), version)
    assert response.status_code == 400
    assert "payload" in response.get_json()["error"]


def test_signature_that_is_not_a_compact_jws_is_400(xapi: Xapi) -> None:
    response = post_signed(xapi, signed_statement(), b"not a jws")
    assert response.status_code == 400


def test_signature_with_another_content_type_is_400(xapi: Xapi, rsa_key: rsa.RSAPrivateKey) -> None:
    signed = signed_statement()
    jws = sign(signed, rsa_key)
    document = {**signed, "attachments": [attachment(jws, content_type="application/jose", usage=SIGNATURE_USAGE)]}
    response = post_multipart(xapi, document, [("application/jose", jws, sha256(jws))])
    assert response.status_code == 400


@pytest.mark.parametrize("version", VERSIONS)
def test_signature_with_x5c_that_verifies_is_stored(xapi: Xapi, rsa_key: rsa.RSAPrivateKey, version: str) -> None:
    signed = signed_statement()
    response = post_signed(xapi, signed, sign(signed, rsa_key, x5c_header(rsa_key)), version)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("version", VERSIONS)
def test_signature_with_x5c_and_a_tampered_signature_is_400(
    xapi: Xapi, rsa_key: rsa.RSAPrivateKey, version: str
) -> None:
    signed = signed_statement()
    response = post_signed(xapi, signed, tamper(sign(signed, rsa_key, x5c_header(rsa_key))), version)
    assert response.status_code == 400
    assert "x5c" in response.get_json()["error"]
    assert xapi("GET", f"/xapi/statements?statementId={signed['id']}").status_code == 404


def test_signature_with_x5c_of_another_key_is_400(xapi: Xapi, rsa_key: rsa.RSAPrivateKey) -> None:
    signed = signed_statement()
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = post_signed(xapi, signed, sign(signed, rsa_key, x5c_header(other_key)))
    assert response.status_code == 400


@pytest.mark.parametrize("version", VERSIONS)
def test_more_link_of_an_attachments_query_continues_with_multipart_and_each_pages_attachments(
    xapi: Xapi, version: str
) -> None:
    contents = [f"certificate {n}".encode() for n in range(5)]
    for content in contents:
        document = statement(attachments=[attachment(content)])
        response = post_multipart(xapi, document, [("application/pdf", content, sha256(content))], version)
        assert response.status_code == 200
    link = "/xapi/statements?attachments=true&limit=2"
    seen: list[bytes] = []
    for expected in (2, 2, 1):
        response = xapi("GET", link, version=version)
        [(_json_headers, result), *parts] = read_multipart(response)
        page = json.loads(result)
        assert len(page["statements"]) == expected
        hashes = {s["attachments"][0]["sha2"] for s in page["statements"]}
        assert {headers["x-experience-api-hash"] for headers, _content in parts} == hashes
        seen += [content for _headers, content in parts]
        link = page["more"]
    assert link == ""
    assert sorted(seen) == sorted(contents)
