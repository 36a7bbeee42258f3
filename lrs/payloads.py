"""How a statement's payload is stored: compact JSON, deflated with a preset dictionary of xAPI.

A statement is about 1 KB of JSON, below the size at which PostgreSQL compresses a value
itself (TOAST starts at about 2 KB a row), and most of it is the same keys and IRIs in every
statement. Deflate with a preset dictionary of that vocabulary stores it in about a third.

Stored form: one format byte, then the data. Format 1 is raw deflate with DICTIONARY_1; format
0 is plain UTF-8 JSON (kept readable, for a later format or a payload that does not shrink). A
dictionary is part of the stored data: never change one, add a format with a new one.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlalchemy import Dialect, LargeBinary, TypeDecorator

PLAIN = 0
DEFLATE_1 = 1

# The vocabulary of xAPI statements (keys, the ADL and cmi5 IRIs, the shapes of agents, results,
# contexts), most common last: deflate finds the nearest match first.
DICTIONARY_1 = (
    b'"interactionType":"choice","correctResponsesPattern":[""],"choices":[{"id":"","description":{"en-US":""}}],'
    b'"scale":[],"source":[],"target":[],"steps":[],"moreInfo":"https://","revision":"","instructor":'
    b'{"objectType":"Agent","mbox":"mailto:","mbox_sha1sum":"","openid":"https://"},"team":{"objectType":"Group",'
    b'"member":[{"objectType":"Agent","name":"","mbox":"mailto:"}]},"statement":{"objectType":"StatementRef","id":""},'
    b'"attachments":[{"usageType":"http://adlnet.gov/expapi/attachments/signature","display":{"en-US":""},'
    b'"contentType":"application/octet-stream","length":,"sha2":"","fileUrl":"https://"}],'
    b'"https://w3id.org/xapi/cmi5/context/extensions/sessionid":"","https://w3id.org/xapi/cmi5/result/extensions/'
    b'progress":,"https://w3id.org/xapi/cmi5/context/categories/moveon"},{"id":"https://w3id.org/xapi/cmi5/context/'
    b'categories/cmi5"}],"https://w3id.org/xapi/adl/verbs/satisfied","https://w3id.org/xapi/adl/verbs/waived",'
    b'"https://w3id.org/xapi/adl/verbs/abandoned","http://adlnet.gov/expapi/verbs/initialized",'
    b'"http://adlnet.gov/expapi/verbs/terminated","http://adlnet.gov/expapi/verbs/voided","http://adlnet.gov/expapi/'
    b'verbs/launched","http://adlnet.gov/expapi/verbs/progressed","http://adlnet.gov/expapi/verbs/experienced",'
    b'"http://adlnet.gov/expapi/verbs/attempted","http://adlnet.gov/expapi/verbs/answered",'
    b'"http://adlnet.gov/expapi/activities/course","http://adlnet.gov/expapi/activities/module",'
    b'"http://adlnet.gov/expapi/activities/assessment","http://adlnet.gov/expapi/activities/cmi.interaction",'
    b'"result":{"score":{"scaled":0.,"raw":,"min":0,"max":100},"success":true,"completion":true,"response":"",'
    b'"duration":"PT","extensions":{}},"success":false,'
    b'"authority":{"objectType":"Agent","name":"","account":{"homePage":"https://","name":""}},"version":"1.0.0",'
    b'"version":"2.0.0","timestamp":"20","stored":"20","context":{"registration":"","platform":"","language":"th-TH",'
    b'"contextActivities":{"grouping":[{"id":"https://"}],"other":[{"id":"https://"}],"parent":[{"id":"https://"}],'
    b'"category":[{"id":"https://"}]},"extensions":{}},"object":{"objectType":"Activity","id":"https://",'
    b'"definition":{"name":{"en-US":"","th-TH":""},"description":{"en-US":"","th-TH":""},'
    b'"type":"http://adlnet.gov/expapi/activities/lesson"}},"verb":{"id":"http://adlnet.gov/expapi/verbs/failed",'
    b'"display":{"en-US":"failed"}},"verb":{"id":"http://adlnet.gov/expapi/verbs/passed","display":{"en-US":"passed"}},'
    b'"verb":{"id":"http://adlnet.gov/expapi/verbs/completed","display":{"en-US":"completed"}},'
    b'{"id":"","actor":{"objectType":"Agent","name":"","account":{"homePage":"https://","name":""}},"verb":{"id":'
    b'"http://adlnet.gov/expapi/verbs/'
)


def pack_payload(statement: dict[str, Any]) -> bytes:
    """The stored form of a statement."""
    text = json.dumps(statement, ensure_ascii=False, separators=(",", ":")).encode()
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY_1)
    packed = deflate.compress(text) + deflate.flush()
    if len(packed) < len(text):
        return bytes([DEFLATE_1]) + packed
    return bytes([PLAIN]) + text


def payload_text(stored: bytes) -> str:
    """The statement's JSON text from its stored form (no decoding of the JSON itself)."""
    stored = bytes(stored)
    if stored[0] == DEFLATE_1:
        inflate = zlib.decompressobj(-15, DICTIONARY_1)
        return (inflate.decompress(stored[1:]) + inflate.flush()).decode()
    if stored[0] == PLAIN:
        return stored[1:].decode()
    raise ValueError(f"unknown statement payload format {stored[0]}")


def unpack_payload(stored: bytes) -> dict[str, Any]:
    """The statement from its stored form."""
    statement: dict[str, Any] = json.loads(payload_text(stored))
    return statement


class CompressedJson(TypeDecorator[dict[str, Any]]):
    """A statement payload column: a dict in Python, its packed form (bytea, BLOB) in the database."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> bytes | None:
        return None if value is None else pack_payload(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> dict[str, Any] | None:
        return None if value is None else unpack_payload(value)
