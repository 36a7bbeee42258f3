"""Validation and normalisation of xAPI statements, and parsing of the JSON the HTTP layer receives.

Every rule breach raises ``StatementError`` whose message starts with the path of the property
(``statement.context.contextActivities.parent[0].id``) and then states the rule it breaks.

Rules follow xAPI 1.0.3 (``XapiVersion.V1``) and xAPI 2.0 / IEEE 9274.1.1 (``XapiVersion.V2``):
2.0 adds ``context.contextAgents`` and ``context.contextGroups`` and statement versions ``2.0.x``,
and the LRS converts timestamps to UTC.

Choices where the specification leaves room:

* IRIs are checked pragmatically: a scheme, a colon and at least one character that may appear in
  an IRI (no whitespace, no ``<>"{}|\\^```, ``%`` only as a percent-escape).
* Timestamps are ISO 8601 combined date and time, extended or basic format, seconds and fraction
  optional; without a time zone they are taken as UTC; the offsets ``-00``, ``-0000`` and
  ``-00:00`` are rejected (ISO 8601 forbids a negative zero offset).
* Durations are ISO 8601:2004 4.4.3.2 (``PnYnMnDTnHnMnS`` or ``PnW``); only the last component may
  have a decimal fraction.
* ``null`` is rejected everywhere except inside extension values. Duplicate keys in a JSON object
  are not rejected: the specification leaves their handling undefined; the last one wins.
* A SubStatement may carry ``attachments`` (the specification only forbids id, stored, version and
  authority there).
* IFIs compare exactly, as the specification treats all values as case-sensitive unless stated.
"""

from __future__ import annotations

import json
import math
import re
import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

from academy.ifi import agent_key
from academy.inputs import MAX_INT, json_problem
from lrs.errors import StatementError
from lrs.versions import XapiVersion

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"

_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|\\^`\x7f-\x9f]+")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_MBOX = re.compile(r"mailto:[^@\x00-\x20<>\"]+@[^@\x00-\x20<>\".]+(?:\.[^@\x00-\x20<>\".]+)*")
_SHA1 = re.compile(r"[0-9A-Fa-f]{40}")
_SHA2 = re.compile(r"(?:[0-9A-Fa-f]{56}|[0-9A-Fa-f]{64}|[0-9A-Fa-f]{96}|[0-9A-Fa-f]{128})")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+\-]+/[A-Za-z0-9!#$&^_.+\-]+(?:[ \t]*;.*)?", re.DOTALL)
_V1_STATEMENT_VERSION = re.compile(r"1\.0(?:\.\d+)?", re.ASCII)
_V2_STATEMENT_VERSION = re.compile(r"[12]\.0(?:\.\d+)?", re.ASCII)

_TZ = r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<tzh>[01]\d|2[0-3])(?::?(?P<tzm>[0-5]\d))?)?"
_EXTENDED_TIMESTAMP = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt](?P<h>\d{2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?" + _TZ,
    re.ASCII,
)
_BASIC_TIMESTAMP = re.compile(
    r"(?P<y>\d{4})(?P<mo>\d{2})(?P<d>\d{2})[Tt](?P<h>\d{2})(?P<mi>\d{2})(?:(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?" + _TZ,
    re.ASCII,
)
_DURATION = re.compile(
    r"P(?!\Z)(?:\d+(?:[.,]\d+)?Y)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?D)?"
    r"(?:T(?=\d)(?:\d+(?:[.,]\d+)?H)?(?:\d+(?:[.,]\d+)?M)?(?:\d+(?:[.,]\d+)?S)?)?"
    r"|P\d+(?:[.,]\d+)?W",
    re.ASCII,
)
_UTC_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z", re.ASCII)
_FRACTION_NOT_LAST = re.compile(r"[.,]\d+[YMDHS].", re.ASCII)

# RFC 5646 section 2.1 (case-insensitive), grandfathered tags aside.
_LANGUAGE_TAG = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"  # language, with extended language subtags
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|\d{3}))?"  # region
    r"(?P<variants>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*)"
    r"(?P<extensions>(?:-[\da-wyz](?:-[a-z\d]{2,8})+)*)"
    r"(?:-x(?:-[a-z\d]{1,8})+)?"
    r"|x(?:-[a-z\d]{1,8})+",
    re.IGNORECASE | re.ASCII,
)
_GRANDFATHERED_TAGS = frozenset(
    [
        "en-gb-oed",
        "i-ami",
        "i-bnn",
        "i-default",
        "i-enochian",
        "i-hak",
        "i-klingon",
        "i-lux",
        "i-mingo",
        "i-navajo",
        "i-pwn",
        "i-tao",
        "i-tay",
        "i-tsu",
        "sgn-be-fr",
        "sgn-be-nl",
        "sgn-ch-de",
        "art-lojban",
        "cel-gaulish",
        "no-bok",
        "no-nyn",
        "zh-guoyu",
        "zh-hakka",
        "zh-min",
        "zh-min-nan",
        "zh-xiang",
    ]
)
_known_language_tags: set[str] = set()
_KNOWN_LANGUAGE_TAGS_LIMIT = 10_000

_STATEMENT_KEYS = frozenset(
    {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version", "attachments"}
)
_SUBSTATEMENT_KEYS = frozenset(
    {"objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments"}
)
_NOT_IN_SUBSTATEMENT = ("id", "stored", "version", "authority")
_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_KEYS = frozenset({"objectType", "name", *_IFI_KEYS})
_GROUP_KEYS = _AGENT_KEYS | {"member"}
_ACCOUNT_KEYS = frozenset({"homePage", "name"})
_VERB_KEYS = frozenset({"id", "display"})
_ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_INTERACTION_KEYS = frozenset({"interactionType", "correctResponsesPattern", *_COMPONENT_LISTS})
_DEFINITION_KEYS = frozenset({"name", "description", "type", "moreInfo", "extensions", *_INTERACTION_KEYS})
_COMPONENT_KEYS = frozenset({"id", "description"})
#: The interaction component lists each interactionType supports.
_INTERACTION_TYPES: dict[str, tuple[str, ...]] = {
    "true-false": (),
    "choice": ("choices",),
    "fill-in": (),
    "long-fill-in": (),
    "matching": ("source", "target"),
    "performance": ("steps",),
    "sequencing": ("choices",),
    "likert": ("scale",),
    "numeric": (),
    "other": (),
}
_RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
_SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
_CONTEXT_KEYS_V1 = frozenset(
    ("registration", "instructor", "team", "contextActivities", "revision", "platform", "language", "statement")
) | {"extensions"}
_CONTEXT_KEYS_V2 = _CONTEXT_KEYS_V1 | {"contextAgents", "contextGroups"}
_CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
_CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})
_ATTACHMENT_KEYS = frozenset({"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"})
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")
_OBJECT_TYPES = '"Activity", "Agent", "Group", "StatementRef" or "SubStatement"'

_LONE_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]")
_NUL_ESCAPE = b"\\u0000"

#: The longest IRI the LRS stores: the length of its IRI columns (verb, activity, document activity).
MAX_IRI_LENGTH = 2048
#: The longest canonical key of an IFI (``mbox:mailto:...``, ``account:<homePage> <name>``): its columns' length.
MAX_IFI_KEY_LENGTH = 600
#: The longest Internet media type of an attachment: the length of its column.
MAX_MEDIA_TYPE_LENGTH = 255


# ---------------------------------------------------------------------------- public interface


def validate_statement(statement: object, version: XapiVersion) -> None:
    """Raise StatementError unless `statement` (parsed JSON) is a valid statement under the version's rules."""
    _statement(statement, version, "statement")


def validate_statements(payload: object, version: XapiVersion) -> list[dict[str, Any]]:
    """Validate a POST body, one statement or an array of them (possibly empty); return them as a list."""
    if isinstance(payload, dict):
        _statement(payload, version, "statement")
        return [payload]
    if not isinstance(payload, list):
        _wrong_type("statements", "a statement object or an array of statements", payload)
    seen: dict[str, int] = {}
    for index, statement in enumerate(payload):
        path = f"statements[{index}]"
        _statement(statement, version, path)
        statement_id = statement.get("id")
        if statement_id is not None:
            key = statement_id.lower()
            if key in seen:
                _fail(f"{path}.id", f"duplicates the id of statements[{seen[key]}]: ids must be unique in a batch")
            seen[key] = index
    return payload


def normalise_statement(statement: dict[str, Any], version: XapiVersion) -> dict[str, Any]:
    """Return the valid `statement` as the LRS stores it, sharing what is unchanged with the input.

    Each contextActivities value becomes an array; under V2 timestamps are converted to UTC
    (``...Z``, fraction kept digit for digit). Id, stored, authority and version are left alone.
    """
    result = _normalise_part(statement, version)
    target = statement["object"]
    if target.get("objectType") == "SubStatement":
        new_target = _normalise_part(target, version)
        if new_target is not target:
            result = {**result, "object": new_target}
    return result


def validate_agent(agent: object, version: XapiVersion, path: str = "agent", *, allow_group: bool = False) -> None:
    """Raise StatementError unless `agent` is an Agent (or, if allowed, an identified Group) with exactly one IFI."""
    agent = _object(agent, path)
    object_type = agent.get("objectType", "Agent")
    if object_type == "Group" and allow_group:
        _group(agent, version, path)
        if _ifi_of(agent) is None:
            _fail(path, "must be identified by an IFI (mbox, mbox_sha1sum, openid or account), not an anonymous Group")
    elif object_type == "Agent":
        _agent(agent, path)
    else:
        _object_type_error(f"{path}.objectType", object_type, '"Agent" or "Group"' if allow_group else '"Agent"')


def validate_group_or_agent(actor: object, version: XapiVersion, path: str) -> None:
    """Raise StatementError unless `actor` is a valid Agent or Group (identified or anonymous)."""
    actor = _object(actor, path)
    object_type = actor.get("objectType", "Agent")
    if object_type == "Agent":
        _agent(actor, path)
    elif object_type == "Group":
        _group(actor, version, path)
    else:
        _object_type_error(f"{path}.objectType", object_type, '"Agent" or "Group"')


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


# ---------------------------------------------------------------------------- errors and types


def _is_iri(value: str) -> bool:
    if len(value) > MAX_IRI_LENGTH:
        return False
    return _IRI.fullmatch(value) is not None and ("%" not in value or _BAD_PERCENT.search(value) is None)


def _fail(path: str, rule: str) -> NoReturn:
    raise StatementError(f"{path}: {rule}")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _wrong_type(path: str, expected: str, value: object) -> NoReturn:
    if value is None:
        _fail(path, f"must not be null (expected {expected})")
    _fail(path, f"must be {expected}, not {_json_type(value)}")


def _object(value: object, path: str) -> dict[str, Any]:
    if type(value) is not dict:
        _wrong_type(path, "an object", value)
    return value


def _array(value: object, path: str) -> list[Any]:
    if type(value) is not list:
        _wrong_type(path, "an array", value)
    return value


def _string(value: object, path: str) -> None:
    if type(value) is not str:
        _wrong_type(path, "a string", value)


def _boolean(value: object, path: str) -> None:
    if type(value) is not bool:
        _wrong_type(path, "a boolean (true or false)", value)


def _number(value: object, path: str) -> float:
    if type(value) is not int and type(value) is not float:
        _wrong_type(path, "a number", value)
    if type(value) is int:
        # Python reads integers of any length; math and the databases need them within a double's range.
        if abs(value) > sys.float_info.max:
            _fail(path, "must be a number within the range of a double (about 1.8e308)")
    elif not math.isfinite(value):
        _fail(path, "must be a finite number")
    return value


def _check_keys(obj: dict[str, Any], allowed: frozenset[str], path: str) -> None:
    if allowed.issuperset(obj):
        return
    unknown = next(key for key in obj if key not in allowed)
    hint = next((key for key in allowed if key.lower() == unknown.lower()), None)
    if hint is not None:
        _fail(f"{path}.{unknown}", f'is not an allowed property (keys are case-sensitive: "{hint}")')
    _fail(f"{path}.{unknown}", f"is not an allowed property here (allowed: {', '.join(sorted(allowed))})")


def _require(obj: dict[str, Any], keys: tuple[str, ...], path: str) -> None:
    for key in keys:
        if key not in obj:
            _fail(f"{path}.{key}", "is required")


def _object_type_error(path: str, value: object, allowed: str) -> NoReturn:
    if type(value) is not str:
        _wrong_type(path, f"the string {allowed}", value)
    _fail(path, f"must be {allowed} (case-sensitive), not {json.dumps(value, ensure_ascii=False)}")


# ---------------------------------------------------------------------------- statements


def _statement(statement: object, version: XapiVersion, path: str) -> None:
    statement = _object(statement, path)
    _check_keys(statement, _STATEMENT_KEYS, path)
    _require(statement, ("actor", "verb", "object"), path)
    if "id" in statement:
        validate_uuid(statement["id"], f"{path}.id")
    object_type = _statement_core(statement, version, path, nested=False)
    if statement["verb"]["id"] == VOIDED_VERB and object_type != "StatementRef":
        _fail(f"{path}.object", f'must be a StatementRef when the verb is "{VOIDED_VERB}"')
    if "stored" in statement:
        validate_timestamp(statement["stored"], f"{path}.stored", version)
    if "authority" in statement:
        _authority(statement["authority"], version, f"{path}.authority")
    if "version" in statement:
        _statement_version(statement["version"], version, f"{path}.version")


def _statement_core(statement: dict[str, Any], version: XapiVersion, path: str, *, nested: bool) -> str:
    """Validate what statements and SubStatements share; return the object's objectType."""
    validate_group_or_agent(statement["actor"], version, f"{path}.actor")
    _verb(statement["verb"], f"{path}.verb")
    object_type = _statement_object(statement["object"], version, f"{path}.object", nested=nested)
    if "result" in statement:
        _result(statement["result"], f"{path}.result")
    if "context" in statement:
        _context(statement["context"], version, f"{path}.context", object_type)
    if "timestamp" in statement:
        validate_timestamp(statement["timestamp"], f"{path}.timestamp", version)
    if "attachments" in statement:
        _attachments(statement["attachments"], f"{path}.attachments")
    return object_type


def _statement_version(value: object, version: XapiVersion, path: str) -> None:
    if type(value) is not str:
        _wrong_type(path, "a version string", value)
    if version.is_v2:
        if not _V2_STATEMENT_VERSION.fullmatch(value):
            _fail(path, f'must be "1.0.x" or "2.0.x", not {json.dumps(value)}')
    elif not _V1_STATEMENT_VERSION.fullmatch(value):
        _fail(path, f'must be "1.0.x" under xAPI 1.0, not {json.dumps(value)}')


def _verb(verb: object, path: str) -> None:
    verb = _object(verb, path)
    _check_keys(verb, _VERB_KEYS, path)
    _require(verb, ("id",), path)
    validate_iri(verb["id"], f"{path}.id")
    if "display" in verb:
        validate_language_map(verb["display"], f"{path}.display")


def _statement_object(target: object, version: XapiVersion, path: str, *, nested: bool) -> str:
    target = _object(target, path)
    object_type = target.get("objectType", "Activity")
    if object_type == "Activity":
        if "objectType" not in target and not _ACTIVITY_KEYS.issuperset(target) and _ifi_of(target) is not None:
            _fail(f"{path}.objectType", 'is required when the object is an Agent or Group ("Agent" or "Group")')
        _activity(target, path)
    elif object_type == "Agent":
        _agent(target, path)
    elif object_type == "Group":
        _group(target, version, path)
    elif object_type == "StatementRef":
        _statement_ref(target, path)
    elif object_type == "SubStatement":
        if nested:
            _fail(f"{path}.objectType", "a SubStatement cannot contain another SubStatement")
        _substatement(target, version, path)
    else:
        _object_type_error(f"{path}.objectType", object_type, _OBJECT_TYPES)
    return object_type


def _substatement(substatement: dict[str, Any], version: XapiVersion, path: str) -> None:
    for key in _NOT_IN_SUBSTATEMENT:
        if key in substatement:
            _fail(f"{path}.{key}", "is not allowed in a SubStatement")
    _check_keys(substatement, _SUBSTATEMENT_KEYS, path)
    _require(substatement, ("actor", "verb", "object"), path)
    _statement_core(substatement, version, path, nested=True)


def _statement_ref(ref: object, path: str) -> None:
    ref = _object(ref, path)
    _check_keys(ref, _STATEMENT_REF_KEYS, path)
    _require(ref, ("objectType", "id"), path)
    if ref["objectType"] != "StatementRef":
        _object_type_error(f"{path}.objectType", ref["objectType"], '"StatementRef"')
    validate_uuid(ref["id"], f"{path}.id")


# ---------------------------------------------------------------------------- actors


def _agent(agent: dict[str, Any], path: str) -> None:
    if not _AGENT_KEYS.issuperset(agent) and "member" in agent:
        _fail(f"{path}.member", 'is only allowed in a Group (objectType "Group")')
    _check_keys(agent, _AGENT_KEYS, path)
    if "name" in agent:
        _string(agent["name"], f"{path}.name")
    if _ifi(agent, path) is None:
        _fail(path, "an Agent must have exactly one IFI: mbox, mbox_sha1sum, openid or account")


def _group(group: dict[str, Any], version: XapiVersion, path: str) -> None:
    _check_keys(group, _GROUP_KEYS, path)
    if "name" in group:
        _string(group["name"], f"{path}.name")
    identified = _ifi(group, path) is not None
    if "member" in group:
        members = _array(group["member"], f"{path}.member")
        for index, member in enumerate(members):
            _member(member, f"{path}.member[{index}]")
        if not members and not identified:
            _fail(f"{path}.member", "an anonymous Group must list at least one member")
    elif not identified:
        _fail(f"{path}.member", "is required in an anonymous Group (one without mbox, mbox_sha1sum, openid or account)")


def _member(member: object, path: str) -> None:
    member = _object(member, path)
    object_type = member.get("objectType", "Agent")
    if object_type == "Group":
        _fail(f"{path}.objectType", "a Group's members must be Agents, not Groups")
    if object_type != "Agent":
        _object_type_error(f"{path}.objectType", object_type, '"Agent"')
    _agent(member, path)


def _ifi_of(actor: dict[str, Any]) -> str | None:
    return next((key for key in _IFI_KEYS if key in actor), None)


def _ifi(actor: dict[str, Any], path: str) -> str | None:
    """Validate the actor's IFI, if any, and return its property name."""
    found = None
    for key in _IFI_KEYS:
        if key in actor:
            if found is not None:
                _fail(path, f'has both "{found}" and "{key}": use exactly one IFI')
            found = key
    if found == "mbox":
        _mbox(actor["mbox"], f"{path}.mbox")
    elif found == "mbox_sha1sum":
        value = actor["mbox_sha1sum"]
        if type(value) is not str:
            _wrong_type(f"{path}.mbox_sha1sum", "a string of 40 hexadecimal digits", value)
        if not _SHA1.fullmatch(value):
            _fail(f"{path}.mbox_sha1sum", "must be the SHA-1 of a mailto IRI as 40 hexadecimal digits")
    elif found == "openid":
        validate_iri(actor["openid"], f"{path}.openid")
    elif found == "account":
        _account(actor["account"], f"{path}.account")
    if found is not None and found != "mbox_sha1sum":
        canonical = agent_key(actor)
        if canonical is not None and len(canonical) > MAX_IFI_KEY_LENGTH:
            _fail(f"{path}.{found}", f"is too long: an identifier may have at most {MAX_IFI_KEY_LENGTH} characters")
    return found


def _mbox(value: object, path: str) -> None:
    if type(value) is not str:
        _wrong_type(path, 'a "mailto:" IRI string', value)
    if not _MBOX.fullmatch(value):
        _fail(path, 'must be a "mailto:" IRI with an email address')


def _account(account: object, path: str) -> None:
    account = _object(account, path)
    _check_keys(account, _ACCOUNT_KEYS, path)
    _require(account, ("homePage", "name"), path)
    validate_iri(account["homePage"], f"{path}.homePage")
    _string(account["name"], f"{path}.name")


def _authority(authority: object, version: XapiVersion, path: str) -> None:
    authority = _object(authority, path)
    if authority.get("objectType") != "Group":
        validate_group_or_agent(authority, version, path)
        return
    _group(authority, version, path)
    if _ifi_of(authority) is not None:
        _fail(path, "an authority Group must be anonymous: the two Agents of 3-legged OAuth")
    if len(authority["member"]) != 2:
        _fail(f"{path}.member", "an authority Group must have exactly two members (3-legged OAuth)")


# ---------------------------------------------------------------------------- activities


def _activity(activity: dict[str, Any], path: str) -> None:
    if "objectType" in activity and activity["objectType"] != "Activity":
        _object_type_error(f"{path}.objectType", activity["objectType"], '"Activity"')
    _check_keys(activity, _ACTIVITY_KEYS, path)
    _require(activity, ("id",), path)
    validate_iri(activity["id"], f"{path}.id")
    if "definition" in activity:
        _definition(activity["definition"], f"{path}.definition")


def _definition(definition: object, path: str) -> None:
    definition = _object(definition, path)
    _check_keys(definition, _DEFINITION_KEYS, path)
    if "name" in definition:
        validate_language_map(definition["name"], f"{path}.name")
    if "description" in definition:
        validate_language_map(definition["description"], f"{path}.description")
    if "type" in definition:
        validate_iri(definition["type"], f"{path}.type")
    if "moreInfo" in definition:
        validate_iri(definition["moreInfo"], f"{path}.moreInfo")
    if "extensions" in definition:
        _extensions(definition["extensions"], f"{path}.extensions")
    if not _INTERACTION_KEYS.isdisjoint(definition):
        _interaction(definition, path)


def _interaction(definition: dict[str, Any], path: str) -> None:
    if "interactionType" not in definition:
        used = next(key for key in definition if key in _INTERACTION_KEYS)
        _fail(f"{path}.interactionType", f'is required when "{used}" is used')
    interaction_type = definition["interactionType"]
    if type(interaction_type) is not str:
        _wrong_type(f"{path}.interactionType", "a string", interaction_type)
    if interaction_type not in _INTERACTION_TYPES:
        _fail(f"{path}.interactionType", f"must be one of {', '.join(_INTERACTION_TYPES)} (case-sensitive)")
    if "correctResponsesPattern" in definition:
        patterns = _array(definition["correctResponsesPattern"], f"{path}.correctResponsesPattern")
        for index, pattern in enumerate(patterns):
            _string(pattern, f"{path}.correctResponsesPattern[{index}]")
    supported = _INTERACTION_TYPES[interaction_type]
    for key in _COMPONENT_LISTS:
        if key in definition:
            if key not in supported:
                _fail(f"{path}.{key}", f'is not supported by interactionType "{interaction_type}"')
            _components(definition[key], f"{path}.{key}")


def _components(value: object, path: str) -> None:
    components = _array(value, path)
    seen: dict[str, int] = {}
    for index, component in enumerate(components):
        item_path = f"{path}[{index}]"
        component = _object(component, item_path)
        _check_keys(component, _COMPONENT_KEYS, item_path)
        _require(component, ("id",), item_path)
        component_id = component["id"]
        _string(component_id, f"{item_path}.id")
        if component_id in seen:
            _fail(f"{item_path}.id", f"duplicates the id of {path}[{seen[component_id]}]: ids must be distinct")
        seen[component_id] = index
        if "description" in component:
            validate_language_map(component["description"], f"{item_path}.description")


def _extensions(value: object, path: str) -> None:
    extensions = _object(value, path)
    for key in extensions:
        if not _is_iri(key):
            _fail(f'{path}["{key}"]', f"extension keys must be absolute IRIs of at most {MAX_IRI_LENGTH} characters")
        value = extensions[key]
        if type(value) is dict or type(value) is list:
            # Extension values are free JSON, the one place a statement may nest without bound.
            problem = json_problem(value, f'{path}["{key}"]')
            if problem is not None:
                raise StatementError(problem)


# ---------------------------------------------------------------------------- result and context


def _result(result: object, path: str) -> None:
    result = _object(result, path)
    _check_keys(result, _RESULT_KEYS, path)
    if "score" in result:
        _score(result["score"], f"{path}.score")
    if "success" in result:
        _boolean(result["success"], f"{path}.success")
    if "completion" in result:
        _boolean(result["completion"], f"{path}.completion")
    if "response" in result:
        _string(result["response"], f"{path}.response")
    if "duration" in result:
        _duration(result["duration"], f"{path}.duration")
    if "extensions" in result:
        _extensions(result["extensions"], f"{path}.extensions")


def _score(score: object, path: str) -> None:
    score = _object(score, path)
    _check_keys(score, _SCORE_KEYS, path)
    if "scaled" in score:
        scaled = _number(score["scaled"], f"{path}.scaled")
        if not -1 <= scaled <= 1:
            _fail(f"{path}.scaled", "must be between -1 and 1")
    low = _number(score["min"], f"{path}.min") if "min" in score else None
    high = _number(score["max"], f"{path}.max") if "max" in score else None
    if low is not None and high is not None and low >= high:
        _fail(f"{path}.min", "must be less than max")
    if "raw" in score:
        raw = _number(score["raw"], f"{path}.raw")
        if low is not None and raw < low:
            _fail(f"{path}.raw", "must not be less than min")
        if high is not None and raw > high:
            _fail(f"{path}.raw", "must not be greater than max")


def _duration(value: object, path: str) -> None:
    if type(value) is not str:
        _wrong_type(path, "an ISO 8601 duration string", value)
    if not _DURATION.fullmatch(value) or _FRACTION_NOT_LAST.search(value):
        _fail(path, "must be an ISO 8601 duration such as PT1H30M or P3DT4.5S")


def _context(context: object, version: XapiVersion, path: str, object_type: str) -> None:
    context = _object(context, path)
    if version.is_v2:
        _check_keys(context, _CONTEXT_KEYS_V2, path)
    elif not _CONTEXT_KEYS_V1.issuperset(context):
        for key in ("contextAgents", "contextGroups"):
            if key in context:
                _fail(f"{path}.{key}", "is an xAPI 2.0 property, not allowed under xAPI 1.0")
        _check_keys(context, _CONTEXT_KEYS_V1, path)
    if "registration" in context:
        validate_uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        validate_group_or_agent(context["instructor"], version, f"{path}.instructor")
    if "team" in context:
        _team(context["team"], version, f"{path}.team")
    if "contextActivities" in context:
        _context_activities(context["contextActivities"], f"{path}.contextActivities")
    for key in ("revision", "platform"):
        if key in context:
            _string(context[key], f"{path}.{key}")
            if object_type != "Activity":
                _fail(f"{path}.{key}", "is only allowed when the statement's object is an Activity")
    if "language" in context:
        validate_language_tag(context["language"], f"{path}.language")
    if "statement" in context:
        _statement_ref(context["statement"], f"{path}.statement")
    if "extensions" in context:
        _extensions(context["extensions"], f"{path}.extensions")
    if "contextAgents" in context:
        _context_agents(context["contextAgents"], f"{path}.contextAgents")
    if "contextGroups" in context:
        _context_groups(context["contextGroups"], version, f"{path}.contextGroups")


def _team(team: object, version: XapiVersion, path: str) -> None:
    team = _object(team, path)
    if team.get("objectType") != "Group":
        _fail(f"{path}.objectType", 'must be "Group": a team is a Group')
    _group(team, version, path)


def _context_activities(value: object, path: str) -> None:
    context_activities = _object(value, path)
    _check_keys(context_activities, _CONTEXT_ACTIVITY_KEYS, path)
    for key, activities in context_activities.items():
        if type(activities) is dict:
            _activity(activities, f"{path}.{key}")
        elif type(activities) is list:
            for index, activity in enumerate(activities):
                item_path = f"{path}.{key}[{index}]"
                _activity(_object(activity, item_path), item_path)
        else:
            _wrong_type(f"{path}.{key}", "an Activity object or an array of Activity objects", activities)


def _relevant_types(value: object, path: str) -> None:
    relevant_types = _array(value, path)
    if not relevant_types:
        _fail(path, "must list at least one IRI when present")
    for index, relevant_type in enumerate(relevant_types):
        validate_iri(relevant_type, f"{path}[{index}]")


def _context_agents(value: object, path: str) -> None:
    for index, item in enumerate(_array(value, path)):
        item_path = f"{path}[{index}]"
        context_agent = _object(item, item_path)
        _check_keys(context_agent, _CONTEXT_AGENT_KEYS, item_path)
        _require(context_agent, ("objectType", "agent"), item_path)
        if context_agent["objectType"] != "contextAgent":
            _object_type_error(f"{item_path}.objectType", context_agent["objectType"], '"contextAgent"')
        agent = _object(context_agent["agent"], f"{item_path}.agent")
        if agent.get("objectType", "Agent") != "Agent":
            _object_type_error(f"{item_path}.agent.objectType", agent["objectType"], '"Agent"')
        _agent(agent, f"{item_path}.agent")
        if "relevantTypes" in context_agent:
            _relevant_types(context_agent["relevantTypes"], f"{item_path}.relevantTypes")


def _context_groups(value: object, version: XapiVersion, path: str) -> None:
    for index, item in enumerate(_array(value, path)):
        item_path = f"{path}[{index}]"
        context_group = _object(item, item_path)
        _check_keys(context_group, _CONTEXT_GROUP_KEYS, item_path)
        _require(context_group, ("objectType", "group"), item_path)
        if context_group["objectType"] != "contextGroup":
            _object_type_error(f"{item_path}.objectType", context_group["objectType"], '"contextGroup"')
        group = _object(context_group["group"], f"{item_path}.group")
        if group.get("objectType") != "Group":
            _fail(f"{item_path}.group.objectType", 'must be "Group"')
        _group(group, version, f"{item_path}.group")
        if "relevantTypes" in context_group:
            _relevant_types(context_group["relevantTypes"], f"{item_path}.relevantTypes")


# ---------------------------------------------------------------------------- attachments


def _attachments(value: object, path: str) -> None:
    for index, item in enumerate(_array(value, path)):
        item_path = f"{path}[{index}]"
        attachment = _object(item, item_path)
        _check_keys(attachment, _ATTACHMENT_KEYS, item_path)
        _require(attachment, _ATTACHMENT_REQUIRED, item_path)
        validate_iri(attachment["usageType"], f"{item_path}.usageType")
        validate_language_map(attachment["display"], f"{item_path}.display")
        if "description" in attachment:
            validate_language_map(attachment["description"], f"{item_path}.description")
        content_type = attachment["contentType"]
        if type(content_type) is not str:
            _wrong_type(f"{item_path}.contentType", "an Internet media type string", content_type)
        if len(content_type) > MAX_MEDIA_TYPE_LENGTH:
            _fail(f"{item_path}.contentType", f"must have at most {MAX_MEDIA_TYPE_LENGTH} characters")
        if not _MEDIA_TYPE.fullmatch(content_type):
            _fail(f"{item_path}.contentType", "must be an Internet media type such as text/plain")
        length = attachment["length"]
        if type(length) is not int:
            _wrong_type(f"{item_path}.length", "an integer", length)
        if length < 0:
            _fail(f"{item_path}.length", "must not be negative")
        if length > MAX_INT:
            _fail(f"{item_path}.length", f"must not be greater than {MAX_INT}")
        sha2 = attachment["sha2"]
        if type(sha2) is not str:
            _wrong_type(f"{item_path}.sha2", "a string of hexadecimal digits", sha2)
        if not _SHA2.fullmatch(sha2):
            _fail(f"{item_path}.sha2", "must be a SHA-2 hash (224, 256, 384 or 512 bits) in hexadecimal digits")
        if "fileUrl" in attachment:
            validate_iri(attachment["fileUrl"], f"{item_path}.fileUrl")


# ---------------------------------------------------------------------------- scalars


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


# ---------------------------------------------------------------------------- normalisation


def _normalise_part(part: dict[str, Any], version: XapiVersion) -> dict[str, Any]:
    """Return a statement or SubStatement with its own context and timestamp normalised (copied on change)."""
    result = part
    context = part.get("context")
    if context is not None:
        context_activities = context.get("contextActivities")
        if context_activities is not None and any(type(v) is dict for v in context_activities.values()):
            arrays = {key: [value] if type(value) is dict else value for key, value in context_activities.items()}
            result = {**part, "context": {**context, "contextActivities": arrays}}
    if version.is_v2 and "timestamp" in part:
        timestamp = part["timestamp"]
        utc = utc_timestamp(timestamp)
        if utc != timestamp:
            result = {**result, "timestamp": utc}
    return result
