"""Inputs the LRS refuses with a 400 (or 413) naming what is wrong, storing nothing: NUL characters,
integers and numbers out of range, over-long IRIs, identifiers and media types, deep JSON, bodies over
the limit with or without Content-Length. Each would otherwise fail in the database or in Python."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from academy.extensions import db
from lrs.models import Document, Statement
from tests.support.lrs import Xapi, statement

ACTIVITY = "https://academy.test/courses/digital-literacy"
AGENT = {"objectType": "Agent", "mbox": "mailto:somchai@example.go.th"}
STATE = "/xapi/activities/state"


def statement_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Statement)) or 0


def document_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Document)) or 0


def error_of(response: TestResponse) -> str:
    return str(response.get_json()["error"])


def refused(response: TestResponse, *words: str, status: int = 400) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    message = error_of(response)
    for word in words:
        assert word in message, message


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# --- statements ------------------------------------------------------------------------------------


def test_nul_in_a_statement_string_is_refused_naming_its_path(xapi: Xapi) -> None:
    body = statement(actor={"objectType": "Agent", "name": "Som\u0000chai", "mbox": "mailto:s@example.go.th"})
    refused(xapi("POST", "/xapi/statements", json_body=body), "statement.actor.name", "NUL")
    assert statement_count() == 0


def test_nul_in_a_batch_stores_none_of_it(xapi: Xapi) -> None:
    good = statement()
    bad = statement(result={"extensions": {"https://academy.test/ext/note": "a\u0000b"}})
    response = xapi("POST", "/xapi/statements", json_body=[good, bad])
    refused(response, 'statements[1].result.extensions["https://academy.test/ext/note"]', "NUL")
    assert statement_count() == 0


def test_nul_in_a_json_key_is_refused(xapi: Xapi) -> None:
    body = statement(context={"extensions": {"https://academy.test/ext": {"k\u0000": 1}}})
    refused(xapi("POST", "/xapi/statements", json_body=body), "NUL")
    assert statement_count() == 0


@pytest.mark.parametrize("raw", ["1" + "0" * 400, "-" + "9" * 330])
def test_a_score_beyond_a_double_is_refused(xapi: Xapi, raw: str) -> None:
    text = json.dumps(statement(result={"score": {"raw": 0}})).replace('"raw": 0', f'"raw": {raw}')
    response = xapi("POST", "/xapi/statements", data=text, content_type="application/json")
    refused(response, "statement.result.score.raw", "range")
    assert statement_count() == 0


def test_an_iri_over_2048_characters_is_refused(xapi: Xapi) -> None:
    verb = {"id": "https://academy.test/verbs/" + "v" * 2048}
    refused(xapi("POST", "/xapi/statements", json_body=statement(verb=verb)), "statement.verb.id", "2048")
    assert statement_count() == 0


def test_an_iri_of_2048_characters_is_stored(xapi: Xapi) -> None:
    activity_id = "https://academy.test/a/" + "x" * (2048 - len("https://academy.test/a/"))
    response = xapi("POST", "/xapi/statements", json_body=statement(object={"id": activity_id}))
    assert response.status_code == 200, response.get_data(as_text=True)


def test_an_extension_key_over_2048_characters_is_refused(xapi: Xapi) -> None:
    body = statement(result={"extensions": {"https://academy.test/" + "k" * 2100: 1}})
    refused(xapi("POST", "/xapi/statements", json_body=body), "2048")


@pytest.mark.parametrize(
    ("actor", "path"),
    [
        ({"mbox": "mailto:" + "a" * 600 + "@example.go.th"}, "statement.actor.mbox"),
        ({"account": {"homePage": "https://academy.test", "name": "n" * 600}}, "statement.actor.account"),
        ({"openid": "https://id.example/" + "o" * 600}, "statement.actor.openid"),
    ],
)
def test_an_identifier_over_600_characters_is_refused(xapi: Xapi, actor: dict[str, Any], path: str) -> None:
    refused(xapi("POST", "/xapi/statements", json_body=statement(actor=actor)), path, "600")
    assert statement_count() == 0


def test_an_attachment_media_type_over_255_characters_is_refused(xapi: Xapi) -> None:
    attachment = {
        "usageType": "https://academy.test/usage",
        "display": {"en": "file"},
        "contentType": "text/" + "x" * 260,
        "length": 1,
        "sha2": "0" * 64,
        "fileUrl": "https://academy.test/file",
    }
    response = xapi("POST", "/xapi/statements", json_body=statement(attachments=[attachment]))
    refused(response, "statement.attachments[0].contentType", "255")


def test_a_body_nested_1000_deep_is_refused(xapi: Xapi) -> None:
    body = "[" * 5000 + "]" * 5000
    response = xapi("POST", "/xapi/statements", data=body, content_type="application/json")
    refused(response, "nested")


def test_an_extension_nested_too_deep_is_refused(xapi: Xapi) -> None:
    body = statement(result={"extensions": {"https://academy.test/ext/deep": nested(150)}})
    response = xapi("POST", "/xapi/statements", json_body=body)
    refused(response, 'statement.result.extensions["https://academy.test/ext/deep"]', "nested")
    assert statement_count() == 0


def test_an_extension_nested_a_little_is_stored(xapi: Xapi) -> None:
    body = statement(result={"extensions": {"https://academy.test/ext/deep": nested(20)}})
    assert xapi("POST", "/xapi/statements", json_body=body).status_code == 200


# --- parameters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["\u00b2", "\u0e53", "1" * 25, str(2**64), "-1", "1.5"])
def test_a_limit_that_is_not_an_ascii_integer_in_range_is_refused(xapi: Xapi, limit: str) -> None:
    refused(xapi("GET", "/xapi/statements", query_string={"limit": limit}), "limit")


def test_a_limit_beyond_the_page_size_is_a_full_page(xapi: Xapi) -> None:
    response = xapi("GET", "/xapi/statements", query_string={"limit": str(2**63 - 1)})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["verb", "activity", "since", "registration", "agent"])
def test_nul_in_a_query_parameter_is_refused(xapi: Xapi, name: str) -> None:
    response = xapi("GET", f"/xapi/statements?{name}=x%00y")
    refused(response, name, "NUL")


def test_an_agent_parameter_nested_deep_is_refused(xapi: Xapi) -> None:
    response = xapi("GET", "/xapi/agents", query_string={"agent": "[" * 3000 + "]" * 3000})
    refused(response, "agent", "nested")


def test_an_agent_parameter_with_an_over_long_mbox_is_refused(xapi: Xapi) -> None:
    agent = json.dumps({"mbox": "mailto:" + "a" * 700 + "@example.go.th"})
    response = xapi("PUT", STATE, query_string={"activityId": ACTIVITY, "agent": agent, "stateId": "s"}, data=b"{}")
    refused(response, "agent.mbox", "600")
    assert document_count() == 0


# --- documents --------------------------------------------------------------------------------------


def put_state(xapi: Xapi, body: bytes = b"{}", content_type: str = "application/json", **params: str) -> TestResponse:
    query = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "bookmark", **params}
    return xapi("PUT", STATE, query_string=query, data=body, content_type=content_type, version="1.0.3")


def test_a_content_type_over_255_characters_is_refused(xapi: Xapi) -> None:
    refused(put_state(xapi, content_type="application/x-" + "a" * 300), "Content-Type", "255")
    assert document_count() == 0


def test_a_state_id_over_2048_characters_is_refused(xapi: Xapi) -> None:
    refused(put_state(xapi, stateId="s" * 2049), "2048")
    assert document_count() == 0


def test_an_activity_id_over_2048_characters_is_refused(xapi: Xapi) -> None:
    refused(put_state(xapi, activityId="https://academy.test/" + "a" * 2048), "activityId", "2048")
    assert document_count() == 0


def test_a_merge_with_a_deeply_nested_document_is_refused(xapi: Xapi) -> None:
    assert put_state(xapi, b'{"a": 1}').status_code == 204
    query = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "bookmark"}
    deep = json.dumps({"b": nested(500)}).encode()
    response = xapi("POST", STATE, query_string=query, data=deep, content_type="application/json", version="1.0.3")
    refused(response, "nested")
    stored = xapi("GET", STATE, query_string=query, version="1.0.3")
    assert stored.get_data() == b'{"a": 1}'


def test_a_document_may_hold_nul_bytes(xapi: Xapi) -> None:
    """Documents are bytes: a NUL in one is data, not a defect."""
    assert put_state(xapi, b"a\x00b", content_type="application/octet-stream").status_code == 204


def test_the_alternate_syntax_refuses_a_form_that_is_not_utf8(xapi: Xapi) -> None:
    response = xapi(
        "POST",
        "/xapi/statements?method=GET",
        data=b"limit=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
        version="1.0.3",
    )
    refused(response, "UTF-8")


def test_the_alternate_syntax_refuses_a_nul_in_a_form_field(xapi: Xapi) -> None:
    response = xapi(
        "POST",
        "/xapi/statements?method=GET",
        data=b"limit=1%00",
        content_type="application/x-www-form-urlencoded",
        version="1.0.3",
    )
    refused(response, "limit", "NUL")


def test_the_alternate_syntax_still_reads_its_form(xapi: Xapi) -> None:
    response = xapi(
        "POST",
        "/xapi/statements?method=GET",
        data=b"limit=1",
        content_type="application/x-www-form-urlencoded",
        version="1.0.3",
    )
    assert response.status_code == 200, response.get_data(as_text=True)


# --- bodies over the limit -----------------------------------------------------------------------------


LIMIT = 4096


@pytest.fixture
def small_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", LIMIT)
    return LIMIT


def put_chunked(xapi: Xapi, body: bytes) -> TestResponse:
    """A PUT whose body has no Content-Length, as a chunked request reaches the application."""
    query = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "big"}
    return xapi(
        "PUT",
        STATE,
        query_string=query,
        input_stream=io.BytesIO(body),
        content_type="application/octet-stream",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
        version="1.0.3",
    )


def test_a_chunked_body_over_the_limit_is_413_and_not_stored(xapi: Xapi, small_limit: int) -> None:
    response = put_chunked(xapi, b"x" * (small_limit + 1))
    assert response.status_code == 413, response.get_data(as_text=True)
    assert "error" in response.get_json()
    assert document_count() == 0


def test_a_chunked_body_at_the_limit_is_stored_whole(xapi: Xapi, small_limit: int) -> None:
    assert put_chunked(xapi, b"x" * small_limit).status_code == 204
    stored = db.session.scalar(db.select(Document))
    assert stored is not None and len(stored.content) == small_limit


def test_a_body_over_the_limit_with_content_length_is_413(xapi: Xapi, small_limit: int) -> None:
    query = {"activityId": ACTIVITY, "agent": json.dumps(AGENT), "stateId": "big"}
    response = xapi("PUT", STATE, query_string=query, data=b"x" * (small_limit + 1), version="1.0.3")
    assert response.status_code == 413
    assert document_count() == 0


# --- attachment parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("part_type", ["application/" + "x" * 300, "application/pdf\x00"])
def test_an_attachment_part_with_an_over_long_content_type_is_refused(xapi: Xapi, part_type: str) -> None:
    content = b"%PDF-1.4 certificate"
    sha2 = hashlib.sha256(content).hexdigest()
    document = statement(
        attachments=[
            {
                "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
                "display": {"en-US": "Certificate"},
                "contentType": "application/pdf",
                "length": len(content),
                "sha2": sha2,
            }
        ]
    )
    body = (
        b"--b7\r\nContent-Type: application/json\r\n\r\n"
        + json.dumps(document).encode()
        + b"\r\n--b7\r\nContent-Type: "
        + part_type.encode()
        + b"\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: "
        + sha2.encode()
        + b"\r\n\r\n"
        + content
        + b"\r\n--b7--\r\n"
    )
    response = xapi("POST", "/xapi/statements", data=body, content_type="multipart/mixed; boundary=b7")
    refused(response, "Content-Type of the attachment part", "255")
    assert statement_count() == 0


@pytest.mark.parametrize("key", ["\x00", "k\x00", "k" * 5000])
def test_credentials_the_database_cannot_look_up_are_401(xapi: Xapi, key: str) -> None:
    auth = "Basic " + base64.b64encode(f"{key}:secret".encode()).decode()
    response = xapi("GET", "/xapi/statements", auth=auth)
    refused(response, "credentials", status=401)
