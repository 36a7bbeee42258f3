"""IRIs, UUIDs, language tags and maps, timestamps, and the JSON of a request body."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import NoReturn

from academy.inputs import json_problem
from lrs.errors import StatementError
from lrs.validation.basics import _fail, _is_iri, _object, _wrong_type
from lrs.validation.constants import (
    _BASIC_TIMESTAMP,
    _EXTENDED_TIMESTAMP,
    _GRANDFATHERED_TAGS,
    _KNOWN_LANGUAGE_TAGS_LIMIT,
    _LANGUAGE_TAG,
    _LONE_SURROGATE_HINT,
    _NUL_ESCAPE,
    _UTC_TIMESTAMP,
    _UUID,
    MAX_IRI_LENGTH,
    _known_language_tags,
)
from lrs.versions import XapiVersion


def validate_iri(value: object, path: str) -> None:
    """Raise StatementError unless `value` is an absolute IRI (a scheme, a colon, then IRI characters)."""
    if type(value) is not str:
        _wrong_type(path, "an absolute IRI string", value)
    if len(value) > MAX_IRI_LENGTH:
        _fail(path, f"must be an IRI of at most {MAX_IRI_LENGTH} characters, not {len(value)}")
    if not _is_iri(value):
        _fail(path, "must be an absolute IRI")


def validate_uuid(value: object, path: str) -> None:
    """Raise StatementError unless `value` is a UUID in its standard string form."""
    if type(value) is not str:
        _wrong_type(path, "a UUID string", value)
    if not _UUID.fullmatch(value):
        _fail(path, "must be a UUID (8-4-4-4-12 hexadecimal digits)")


def validate_language_map(value: object, path: str) -> None:
    """Raise StatementError unless `value` maps RFC 5646 language tags to strings."""
    language_map = _object(value, path)
    for tag, text in language_map.items():
        if tag not in _known_language_tags:
            _language_tag(tag, f'{path}["{tag}"]', "keys of a language map must be RFC 5646 language tags")
        if type(text) is not str:
            _wrong_type(f'{path}["{tag}"]', "a string", text)


def validate_language_tag(value: object, path: str) -> None:
    """Raise StatementError unless `value` is a well-formed RFC 5646 language tag."""
    if type(value) is not str:
        _wrong_type(path, "an RFC 5646 language tag string", value)
    if value not in _known_language_tags:
        _language_tag(value, path, "must be an RFC 5646 language tag")


def validate_timestamp(value: object, path: str, version: XapiVersion) -> None:
    """Raise StatementError unless `value` is an ISO 8601 timestamp (RFC 3339 included) the LRS can store."""
    if type(value) is not str:
        _wrong_type(path, "an ISO 8601 timestamp string", value)
    _timestamp_parts(value, path)


def parse_timestamp(value: str, path: str = "timestamp") -> datetime:
    """Return the timezone-aware moment of an ISO 8601 timestamp (UTC when it names no zone)."""
    if type(value) is not str:
        _wrong_type(path, "an ISO 8601 timestamp string", value)
    return _timestamp_parts(value, path)[0]


def utc_timestamp(value: str) -> str:
    """Return a valid timestamp in UTC as ``YYYY-MM-DDTHH:MM:SS[.fraction]Z``, every fraction digit kept."""
    if _UTC_TIMESTAMP.fullmatch(value):
        return value
    moment, fraction = _timestamp_parts(value, "timestamp")
    moment = moment.astimezone(UTC)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % moment.timetuple()[:6]  # noqa: UP031 - fastest here
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


def parse_json(body: bytes) -> object:
    """Return the JSON value of a request body; raise StatementError unless it is valid UTF-8 JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StatementError(f"request body: is not valid UTF-8 (byte {error.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = json.loads(text, parse_float=_parse_float, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise StatementError(
            f"request body: is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except ValueError as error:  # for example an integer too long to convert
        raise StatementError(f"request body: is not valid JSON ({error})") from None
    except RecursionError:
        raise StatementError("request body: is nested too deeply to be read") from None
    if _NUL_ESCAPE in body:
        # Neither PostgreSQL's text nor its JSONB can hold U+0000; JSON can only carry it escaped.
        problem = json_problem(value, "statements" if type(value) is list else "statement")
        if problem is not None:
            raise StatementError(problem)
    if _LONE_SURROGATE_HINT.search(body):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise StatementError("request body: contains a \\u escape of a lone UTF-16 surrogate") from None
    return value


def _language_tag(tag: str, path: str, rule: str) -> None:
    """Raise unless `tag` is well-formed per RFC 5646 without repeated variants or extension singletons."""
    match = _LANGUAGE_TAG.fullmatch(tag)
    if match is None:
        if tag.lower() not in _GRANDFATHERED_TAGS:
            _fail(path, rule)
    else:
        variants, extensions = match["variants"], match["extensions"]
        if variants:
            names = variants.lower().split("-")[1:]
            if len(set(names)) != len(names):
                _fail(path, f"{rule} (a variant subtag is repeated)")
        if extensions:
            singletons = [part for part in extensions.lower().split("-") if len(part) == 1]
            if len(set(singletons)) != len(singletons):
                _fail(path, f"{rule} (an extension singleton is repeated)")
    if len(tag) <= 35 and len(_known_language_tags) < _KNOWN_LANGUAGE_TAGS_LIMIT:  # RFC 5646 4.4.1: 35 suffice
        _known_language_tags.add(tag)


def _timestamp_parts(value: str, path: str) -> tuple[datetime, str]:
    """Return the aware moment of an ISO 8601 timestamp and its fraction-of-second digits."""
    match = _EXTENDED_TIMESTAMP.fullmatch(value) or _BASIC_TIMESTAMP.fullmatch(value)
    if match is None:
        _fail(path, "must be an ISO 8601 timestamp such as 2024-05-04T17:00:00.000Z")
    if match["sign"] == "-" and match["tzh"] == "00" and match["tzm"] in (None, "00"):
        _fail(path, "must not use a negative zero offset (-00, -0000, -00:00): use Z or +00:00")
    try:
        # The pattern admits only what fromisoformat reads once T and Z are upper case.
        moment = datetime.fromisoformat(value.upper())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        elif moment.year in (1, 9999):
            moment.astimezone(UTC)
    except (ValueError, OverflowError):
        _fail(path, "is not a valid date and time")
    return moment, match["f"] or ""


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise StatementError(f"request body: the number {text[:40]} is too large")
    return value


def _reject_constant(name: str) -> NoReturn:
    raise StatementError(f"request body: {name} is not a JSON value")
