"""Statement validation and normalisation: good and bad statements under the 1.0.x and 2.0.x rules."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from lrs.errors import StatementError
from lrs.validation import (
    normalise_statement,
    parse_json,
    parse_timestamp,
    validate_agent,
    validate_group_or_agent,
    validate_iri,
    validate_language_map,
    validate_statement,
    validate_statements,
    validate_timestamp,
    validate_uuid,
)
from lrs.versions import XapiVersion

V1, V2 = XapiVersion.V1, XapiVersion.V2
BOTH = (V1, V2)
DELETE = object()

AGENT = {"objectType": "Agent", "name": "Somchai", "mbox": "mailto:somchai@example.go.th"}
AGENT_B = {"mbox": "mailto:bob@example.com"}
OAUTH_APP = {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}}
ACTIVITY = {"objectType": "Activity", "id": "https://academy.example.go.th/courses/101"}
UUID_A = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
UUID_B = "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"
SHA1 = "cd9b00a5611f94eaa7b1661edab976068e364975"
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

BASE: dict[str, Any] = {
    "actor": AGENT,
    "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
    "object": ACTIVITY,
}

FULL: dict[str, Any] = {
    "id": UUID_A,
    "actor": AGENT,
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "th": "สำเร็จ"}},
    "object": {
        "objectType": "Activity",
        "id": "https://academy.example.go.th/courses/101/modules/3",
        "definition": {
            "name": {"en-US": "Module 3", "th-TH": "บทที่ 3"},
            "description": {"en-US": "Data governance"},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "moreInfo": "https://academy.example.go.th/courses/101/modules/3/about",
            "interactionType": "choice",
            "correctResponsesPattern": ["golf[,]tetris"],
            "choices": [{"id": "golf", "description": {"en-US": "Golf"}}, {"id": "tetris"}],
            "extensions": {"http://example.com/ext/location": "Room 1"},
        },
    },
    "result": {
        "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
        "success": True,
        "completion": True,
        "response": "golf[,]tetris",
        "duration": "PT41M12.5S",
        "extensions": {"http://example.com/ext/attempts": 2},
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": {"objectType": "Agent", "account": {"homePage": "https://academy.example.go.th", "name": "t01"}},
        "team": {"objectType": "Group", "name": "Team A", "member": [AGENT]},
        "contextActivities": {
            "parent": [{"id": "https://academy.example.go.th/courses/101"}],
            "grouping": {"objectType": "Activity", "id": "https://academy.example.go.th/programmes/7"},
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}],
            "other": [],
        },
        "revision": "r2",
        "platform": "E-Workforce Academy",
        "language": "th-TH",
        "statement": {"objectType": "StatementRef", "id": UUID_B},
        "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "abc"},
    },
    "timestamp": "2024-05-04T12:00:00.123+07:00",
    "stored": "2024-05-04T05:00:01.000Z",
    "authority": {"objectType": "Agent", "account": {"homePage": "https://academy.example.go.th", "name": "lrs"}},
    "version": "1.0.3",
    "attachments": [
        {
            "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
            "display": {"en-US": "Certificate"},
            "description": {"en-US": "The certificate of completion"},
            "contentType": "application/pdf",
            "length": 65536,
            "sha2": SHA256,
            "fileUrl": "https://academy.example.go.th/certificates/1.pdf",
        }
    ],
}

CONTEXT_AGENT = {
    "objectType": "contextAgent",
    "agent": {"mbox": "mailto:coach@example.com"},
    "relevantTypes": ["https://example.com/xapi/roles/coach"],
}
CONTEXT_GROUP = {
    "objectType": "contextGroup",
    "group": {"objectType": "Group", "mbox": "mailto:team-1@example.com", "member": [AGENT]},
    "relevantTypes": ["https://example.com/xapi/teams/a"],
}

SUBSTATEMENT: dict[str, Any] = {
    "objectType": "SubStatement",
    "actor": {"objectType": "Agent", "mbox_sha1sum": SHA1},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/reported"},
    "object": ACTIVITY,
    "result": {"success": False},
    "context": {"contextActivities": {"parent": ACTIVITY}, "revision": "1"},
    "timestamp": "2024-05-04T12:00:00-05:00",
    "attachments": [],
}

INTERACTIONS: dict[str, dict[str, Any]] = {
    "true-false": {"correctResponsesPattern": ["true"]},
    "choice": {"choices": [{"id": "a"}, {"id": "b"}]},
    "fill-in": {"correctResponsesPattern": ["{case_matters=false}Bob's your uncle"]},
    "long-fill-in": {"correctResponsesPattern": ["{lang=en}To be or not to be"]},
    "matching": {"source": [{"id": "ben"}], "target": [{"id": "3"}], "correctResponsesPattern": ["ben[.]3"]},
    "performance": {"steps": [{"id": "pong", "description": {"en-US": "Pong"}}]},
    "sequencing": {"choices": [{"id": "tim"}, {"id": "ben"}], "correctResponsesPattern": ["tim[,]ben"]},
    "likert": {"scale": [{"id": "likert_0"}, {"id": "likert_1"}]},
    "numeric": {"correctResponsesPattern": ["4[:]"]},
    "other": {"correctResponsesPattern": ["(35.93,-86.8)"]},
}


def _set(node: Any, path: str, value: object) -> None:
    """Set (or, with DELETE, remove) the value at a dotted path; digits index arrays."""
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = copy.deepcopy(value)


def build(changes: dict[str, object], base: dict[str, Any] = BASE) -> dict[str, Any]:
    """Return a copy of `base` with `changes` applied at their dotted paths."""
    statement = copy.deepcopy(base)
    for path, value in changes.items():
        _set(statement, path, value)
    return statement


def rejection(statement: object, version: XapiVersion) -> str:
    """Return the message of the StatementError that validating `statement` raises."""
    with pytest.raises(StatementError) as caught:
        validate_statement(statement, version)
    assert caught.value.status == 400
    return caught.value.message


def ok(
    name: str, changes: dict[str, object], base: dict[str, Any] = BASE, versions: tuple[XapiVersion, ...] = BOTH
) -> list[Any]:
    """Return the cases of a valid statement: `base` with `changes`, once per version."""
    return [pytest.param(build(changes, base), v, id=f"{name} [{v.name}]") for v in versions]


def bad(
    name: str,
    changes: dict[str, object],
    path: str,
    rule: str,
    base: dict[str, Any] = BASE,
    versions: tuple[XapiVersion, ...] = BOTH,
) -> list[Any]:
    """Return the cases of an invalid statement and the path and rule its error must name, once per version."""
    return [pytest.param(build(changes, base), path, rule, v, id=f"{name} [{v.name}]") for v in versions]


# ---------------------------------------------------------------------------- valid statements

VALID = [
    *ok("minimal", {}),
    *ok("all properties", {}, FULL),
    *ok("version 2.0.0 under 2.0", {"version": "2.0.0"}, FULL, (V2,)),
    *ok("version 1.0.0 under 2.0", {"version": "1.0.0"}, FULL, (V2,)),
    *ok("version 1.0", {"version": "1.0"}),
    *ok("version 1.0.9", {"version": "1.0.9"}),
    *ok("version 2.0", {"version": "2.0"}, BASE, (V2,)),
    *ok(
        "contextAgents, contextGroups",
        {"context.contextAgents": [CONTEXT_AGENT], "context.contextGroups": [CONTEXT_GROUP]},
        FULL,
        (V2,),
    ),
    *ok(
        "contextAgent minimal",
        {"context": {"contextAgents": [{"objectType": "contextAgent", "agent": AGENT}]}},
        BASE,
        (V2,),
    ),
    *ok(
        "contextGroup anonymous",
        {
            "context": {
                "contextGroups": [{"objectType": "contextGroup", "group": {"objectType": "Group", "member": [AGENT]}}]
            }
        },
        BASE,
        (V2,),
    ),
    *ok("contextAgents empty", {"context": {"contextAgents": [], "contextGroups": []}}, BASE, (V2,)),
    *ok("actor without objectType", {"actor": {"mbox": "mailto:a@example.com"}}),
    *ok("actor mbox_sha1sum", {"actor": {"mbox_sha1sum": SHA1.upper()}}),
    *ok("actor openid", {"actor": {"openid": "http://openid.example.org/12345"}}),
    *ok("actor account", {"actor": {"account": {"homePage": "http://www.example.com", "name": "1625378"}}}),
    *ok("actor unicode name", {"actor.name": "สมชาย ใจดี"}),
    *ok(
        "anonymous group", {"actor": {"objectType": "Group", "member": [AGENT, {"openid": "http://id.example.com/2"}]}}
    ),
    *ok("identified group", {"actor": {"objectType": "Group", "mbox": "mailto:team@example.com"}}),
    *ok("identified group, no members", {"actor": {"objectType": "Group", "openid": "http://g.example", "member": []}}),
    *ok("identified group, members", {"actor": {"objectType": "Group", "mbox_sha1sum": SHA1, "member": [AGENT]}}),
    *ok("verb without display", {"verb.display": DELETE}),
    *ok("verb empty display", {"verb.display": {}}),
    *ok("object without objectType", {"object": {"id": "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}}),
    *ok("object definition empty", {"object.definition": {}}),
    *ok("object agent", {"object": {"objectType": "Agent", "mbox": "mailto:b@example.com"}}),
    *ok("object group", {"object": {"objectType": "Group", "member": [AGENT]}}),
    *ok("object statement ref", {"object": {"objectType": "StatementRef", "id": UUID_B}}),
    *ok("object substatement", {"object": SUBSTATEMENT}),
    *ok(
        "substatement about a statement",
        {"object": SUBSTATEMENT, "object.object": {"objectType": "StatementRef", "id": UUID_B}, "object.context": {}},
    ),
    *ok("substatement with voided verb", {"object": SUBSTATEMENT, "object.verb": {"id": VOIDED}}),
    *ok(
        "voiding statement",
        {
            "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": UUID_B},
        },
    ),
    *ok("id upper case", {"id": UUID_A.upper()}),
    *ok("id nil uuid", {"id": "00000000-0000-0000-0000-000000000000"}),
    *ok(
        "extension values null, empty",
        {
            "result": {
                "extensions": {
                    "http://e.example/a": None,
                    "http://e.example/b": "",
                    "http://e.example/c": {},
                    "urn:x:d": [None],
                }
            }
        },
    ),
    *ok(
        "extensions empty",
        {"context": {"extensions": {}}, "result": {"extensions": {}}, "object.definition": {"extensions": {}}},
    ),
    *ok(
        "context activities as objects",
        {
            "context": {
                "contextActivities": {"parent": ACTIVITY, "grouping": ACTIVITY, "category": ACTIVITY, "other": ACTIVITY}
            }
        },
    ),
    *ok(
        "revision, object without objectType",
        {"object": {"id": "http://example.com/a"}, "context": {"revision": "1", "platform": "p"}},
    ),
    *ok("team anonymous group", {"context": {"team": {"objectType": "Group", "member": [AGENT]}}}),
    *ok("instructor group", {"context": {"instructor": {"objectType": "Group", "member": [AGENT]}}}),
    *ok("authority OAuth group", {"authority": {"objectType": "Group", "member": [OAUTH_APP, AGENT_B]}}),
    *ok("authority agent", {"authority": {"mbox": "mailto:lrs@example.com"}}),
    *ok("score scaled -1", {"result": {"score": {"scaled": -1}}}),
    *ok("score scaled 1.0", {"result": {"score": {"scaled": 1.0}}}),
    *ok("score raw at min", {"result": {"score": {"raw": 0, "min": 0, "max": 0.5}}}),
    *ok("score raw at max", {"result": {"score": {"raw": 0.5, "min": 0, "max": 0.5}}}),
    *ok("score raw alone", {"result": {"score": {"raw": -12345.678}}}),
    *ok("score raw with min only", {"result": {"score": {"raw": 3, "min": 2}}}),
    *ok("score decimals", {"result": {"score": {"scaled": 0.12123434, "raw": 12.125, "min": 0.12, "max": 45.45}}}),
    *ok("result empty", {"result": {}}),
    *ok("attachments empty", {"attachments": []}),
    *ok("attachment sha512, no fileUrl", {"attachments.0.fileUrl": DELETE, "attachments.0.sha2": "a" * 128}, FULL),
    *ok("attachment sha224", {"attachments.0.sha2": "b" * 56, "attachments.0.display": {"es-MX": "x"}}, FULL),
    *ok(
        "attachment sha384",
        {"attachments.0.sha2": "C" * 96, "attachments.0.contentType": "text/plain; charset=ascii"},
        FULL,
    ),
    *ok("attachment length 0", {"attachments.0.length": 0}, FULL),
    *ok("timestamp in the future", {"timestamp": "2099-01-01T00:00:00Z"}),
]
for _name, _extra in INTERACTIONS.items():
    VALID += ok(f"interactionType {_name}", {"object.definition": {"interactionType": _name, **_extra}})
for _value in (
    *("2008-09-15T15:53:00.601Z", "2008-09-15T15:53:00.601+00:00", "2008-09-15T15:53:00.601+0000"),
    *("2008-09-15T15:53:00+00", "2023-05-04T12:00:00-05:00", "2023-05-04T12:00:00.123456789+05:45"),
    *("2023-05-04T12:00:00", "2023-05-04T12:00Z", "2023-05-04t12:00:00z", "2023-05-04T12:00:00,5Z"),
    *("20230504T120000Z", "20230504T120000.25+0700", "2024-02-29T23:59:59.999Z", "2008-09-15T15:53:00.601-00:01"),
):
    VALID += ok(f"timestamp {_value}", {"timestamp": _value, "object": SUBSTATEMENT, "object.timestamp": _value})
for _value in (
    *("PT1H0M0S", "PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W", "P1DT12H36M0.12567S"),
    *("PT0S", "P0D", "PT0.5H", "P1,5D"),
):
    VALID += ok(f"duration {_value}", {"result": {"duration": _value}})
for _tag in (
    *("de", "de-DE", "zh-Hant", "sr-Latn-RS", "cmn", "tlh", "ase", "es-419", "zh-Hans-CN", "sr-Cyrl", "ja", "fr-CA"),
    *("EN-us", "de-CH-1901", "sl-rozaj-biske", "en-US-x-twain", "x-whatever", "i-klingon", "zh-min-nan", "sgn-BE-FR"),
    *("en-a-bbb-x-a-ccc", "zh-yue-HK", "qaa-Qaaa-QM-x-southern"),
):
    VALID += ok(f"language tag {_tag}", {"verb.display": {_tag: "x"}})


@pytest.mark.parametrize(("statement", "version"), VALID)
def test_valid_statement(statement: dict[str, Any], version: XapiVersion) -> None:
    original = copy.deepcopy(statement)
    validate_statement(statement, version)
    assert statement == original, "validation must not change the statement"


# ---------------------------------------------------------------------------- invalid statements

BAD_IRIS = (
    "not.a.valid.iri.com/verb",
    "ab=c://should.fail.com",
    "",
    "http://exa mple.com",
    "http://x.com/%zz",
    "http:",
    12,
)
CA = "statement.context.contextActivities"
DEFINITION = "statement.object.definition"
ATTACHMENT = "statement.attachments[0]"
AGENTS = "statement.context.contextAgents[0]"
GROUPS = "statement.context.contextGroups"

INVALID = [
    # the statement itself
    *bad("no actor", {"actor": DELETE}, "statement.actor", "is required"),
    *bad("no verb", {"verb": DELETE}, "statement.verb", "is required"),
    *bad("no object", {"object": DELETE}, "statement.object", "is required"),
    *bad("unknown property", {"dummy": "dummy"}, "statement.dummy", "not an allowed property"),
    *bad("wrong case key", {"Actor": AGENT}, "statement.Actor", 'case-sensitive: "actor"'),
    *bad("wrong case key attachments", {"attachmentS": []}, "statement.attachmentS", "case-sensitive"),
    *bad("id numeric", {"id": 12345}, "statement.id", "must be a UUID string, not a number"),
    *bad("id object", {"id": {"key": "x"}}, "statement.id", "not an object"),
    *bad("id null", {"id": None}, "statement.id", "must not be null"),
    *bad("id too many digits", {"id": "AA97B177-9383-4934-8543-0F91A7A028368"}, "statement.id", "must be a UUID"),
    *bad("id non-hex", {"id": "MA97B177-9383-4934-8543-0F91A7A02836"}, "statement.id", "must be a UUID"),
    *bad("id without dashes", {"id": UUID_A.replace("-", "")}, "statement.id", "must be a UUID"),
    *bad("id in braces", {"id": "{" + UUID_A + "}"}, "statement.id", "must be a UUID"),
    *bad("stored invalid", {"stored": "yesterday"}, "statement.stored", "ISO 8601"),
    *bad("version 0.9.9", {"version": "0.9.9"}, "statement.version", '"1.0.x"'),
    *bad("version 1.1.0", {"version": "1.1.0"}, "statement.version", '"1.0.x"'),
    *bad("version string", {"version": "should fail"}, "statement.version", "must be"),
    *bad("version 2.0.0 under 1.0", {"version": "2.0.0"}, "statement.version", "under xAPI 1.0", BASE, (V1,)),
    *bad("version 3.0.0", {"version": "3.0.0"}, "statement.version", '"2.0.x"', BASE, (V2,)),
    *bad("version numeric", {"version": 1.0}, "statement.version", "a version string"),
    *bad("version with suffix", {"version": "1.0.3-beta"}, "statement.version", "must be"),
    # null values
    *bad("actor null", {"actor": None}, "statement.actor", "must not be null"),
    *bad("verb null", {"verb": None}, "statement.verb", "must not be null"),
    *bad("object null", {"object": None}, "statement.object", "must not be null"),
    *bad("context null", {"context": None}, "statement.context", "must not be null"),
    *bad("result null", {"result": None}, "statement.result", "must not be null"),
    *bad("timestamp null", {"timestamp": None}, "statement.timestamp", "must not be null"),
    *bad("attachments null", {"attachments": None}, "statement.attachments", "must not be null"),
    *bad("actor name null", {"actor.name": None}, "statement.actor.name", "must not be null"),
    *bad("display value null", {"verb.display.en-US": None}, 'statement.verb.display["en-US"]', "must not be null"),
    *bad("definition type null", {"object.definition": {"type": None}}, f"{DEFINITION}.type", "must not be null"),
    *bad("score raw null", {"result": {"score": {"raw": None}}}, "statement.result.score.raw", "must not be null"),
    *bad("mbox null", {"actor": {"mbox": None}}, "statement.actor.mbox", "must not be null"),
    # actor
    *bad("actor string", {"actor": "somchai"}, "statement.actor", "must be an object, not a string"),
    *bad(
        "actor objectType lower case", {"actor.objectType": "agent"}, "statement.actor.objectType", '"Agent" or "Group"'
    ),
    *bad("actor objectType numeric", {"actor.objectType": 123}, "statement.actor.objectType", "not a number"),
    *bad("actor objectType Activity", {"actor.objectType": "Activity"}, "statement.actor.objectType", "must be"),
    *bad("actor without IFI", {"actor": {"objectType": "Agent", "name": "x"}}, "statement.actor", "exactly one IFI"),
    *bad(
        "actor mbox and openid", {"actor.openid": "http://id.example/1"}, "statement.actor", 'both "mbox" and "openid"'
    ),
    *bad("actor mbox and account", {"actor.account": OAUTH_APP["account"]}, "statement.actor", "exactly one IFI"),
    *bad("actor name numeric", {"actor.name": 123}, "statement.actor.name", "must be a string"),
    *bad("actor name object", {"actor.name": {"key": "value"}}, "statement.actor.name", "must be a string"),
    *bad("actor unknown property", {"actor.age": 3}, "statement.actor.age", "not an allowed property"),
    *bad("agent with member", {"actor.member": [AGENT]}, "statement.actor.member", "only allowed in a Group"),
    *bad("mbox without mailto", {"actor.mbox": "somchai@example.com"}, "statement.actor.mbox", 'a "mailto:" IRI'),
    *bad("mbox http IRI", {"actor.mbox": "http://should.fail.com"}, "statement.actor.mbox", 'a "mailto:" IRI'),
    *bad("mbox without address", {"actor.mbox": "mailto:should.fail.com"}, "statement.actor.mbox", "email address"),
    *bad("mbox upper-case scheme", {"actor.mbox": "MAILTO:a@example.com"}, "statement.actor.mbox", "mailto"),
    *bad("mbox with space", {"actor.mbox": "mailto:a b@example.com"}, "statement.actor.mbox", "mailto"),
    *bad("mbox numeric", {"actor.mbox": 42}, "statement.actor.mbox", "not a number"),
    *bad(
        "mbox_sha1sum short", {"actor": {"mbox_sha1sum": SHA1[:20]}}, "statement.actor.mbox_sha1sum", "40 hexadecimal"
    ),
    *bad("mbox_sha1sum not hex", {"actor": {"mbox_sha1sum": "z" + SHA1[1:]}}, "statement.actor.mbox_sha1sum", "SHA-1"),
    *bad(
        "mbox_sha1sum object", {"actor": {"mbox_sha1sum": {"k": "v"}}}, "statement.actor.mbox_sha1sum", "not an object"
    ),
    *bad(
        "openid without scheme", {"actor": {"openid": "open.id.com/testUser"}}, "statement.actor.openid", "absolute IRI"
    ),
    *bad("account not object", {"actor": {"account": "x"}}, "statement.actor.account", "must be an object"),
    *bad(
        "account without homePage",
        {"actor": {"account": {"name": "n"}}},
        "statement.actor.account.homePage",
        "is required",
    ),
    *bad(
        "account without name",
        {"actor": {"account": {"homePage": "http://a.example"}}},
        "statement.actor.account.name",
        "is required",
    ),
    *bad(
        "account homePage no scheme",
        {"actor": {"account": {"homePage": "homePage.com/x", "name": "1"}}},
        "statement.actor.account.homePage",
        "absolute IRI",
    ),
    *bad(
        "account name object",
        {"actor": {"account": {"homePage": "http://a.example", "name": {"k": 1}}}},
        "statement.actor.account.name",
        "must be a string",
    ),
    *bad(
        "account extra property",
        {"actor": {"account": {**OAUTH_APP["account"], "id": 1}}},
        "statement.actor.account.id",
        "not an allowed property",
    ),
    *bad(
        "anonymous group without member",
        {"actor": {"objectType": "Group", "name": "G"}},
        "statement.actor.member",
        "is required in an anonymous Group",
    ),
    *bad(
        "anonymous group no members",
        {"actor": {"objectType": "Group", "member": []}},
        "statement.actor.member",
        "at least one member",
    ),
    *bad(
        "group member not array",
        {"actor": {"objectType": "Group", "member": {"k": "x"}}},
        "statement.actor.member",
        "must be an array",
    ),
    *bad(
        "group member is a group",
        {"actor": {"objectType": "Group", "member": [{"objectType": "Group", "member": [AGENT]}]}},
        "statement.actor.member[0].objectType",
        "not Groups",
    ),
    *bad(
        "group member without IFI",
        {"actor": {"objectType": "Group", "member": [AGENT, {"name": "x"}]}},
        "statement.actor.member[1]",
        "exactly one IFI",
    ),
    *bad(
        "group member bad mbox",
        {"actor": {"objectType": "Group", "member": [{"mbox": "x"}]}},
        "statement.actor.member[0].mbox",
        "mailto",
    ),
    *bad(
        "group two IFIs",
        {"actor": {"objectType": "Group", "mbox": "mailto:g@example.com", "mbox_sha1sum": SHA1}},
        "statement.actor",
        "use exactly one IFI",
    ),
    *bad(
        "group unknown property",
        {"actor": {"objectType": "Group", "member": [AGENT], "members": []}},
        "statement.actor.members",
        "not an allowed property",
    ),
    # verb
    *bad("verb string", {"verb": "attended"}, "statement.verb", "must be an object"),
    *bad("verb without id", {"verb.id": DELETE}, "statement.verb.id", "is required"),
    *bad("verb unknown property", {"verb.name": "x"}, "statement.verb.name", "not an allowed property"),
    *bad("verb display numeric", {"verb.display": 12345}, "statement.verb.display", "must be an object, not a number"),
    *bad(
        "verb display string", {"verb.display": "attended"}, "statement.verb.display", "must be an object, not a string"
    ),
    *bad(
        "verb display 9-letter tag",
        {"verb.display": {"a12345678": "x"}},
        'statement.verb.display["a12345678"]',
        "RFC 5646",
    ),
    *bad("verb display value number", {"verb.display": {"en": 1}}, 'statement.verb.display["en"]', "must be a string"),
    *bad("voided verb with activity", {"verb.id": VOIDED}, "statement.object", "must be a StatementRef"),
    # object
    *bad("object string", {"object": "http://example.com"}, "statement.object", "must be an object"),
    *bad(
        "object objectType lower case",
        {"object.objectType": "activity"},
        "statement.object.objectType",
        "case-sensitive",
    ),
    *bad(
        "object objectType unknown",
        {"object.objectType": "Thing"},
        "statement.object.objectType",
        '"StatementRef" or "SubStatement"',
    ),
    *bad("object objectType numeric", {"object.objectType": 3}, "statement.object.objectType", "not a number"),
    *bad("activity without id", {"object.id": DELETE}, "statement.object.id", "is required"),
    *bad("activity unknown property", {"object.name": "x"}, "statement.object.name", "not an allowed property"),
    *bad(
        "agent object without objectType",
        {"object": {"mbox": "mailto:a@example.com"}},
        "statement.object.objectType",
        "is required when the object is an Agent",
    ),
    *bad(
        "group object without objectType",
        {"object": {"member": [AGENT], **OAUTH_APP}},
        "statement.object.objectType",
        "is required",
    ),
    *bad(
        "agent object bad IFI",
        {"object": {"objectType": "Agent", "mbox": "x@example.com"}},
        "statement.object.mbox",
        "mailto",
    ),
    *bad("definition string", {"object.definition": "x"}, DEFINITION, "must be an object"),
    *bad(
        "definition unknown property",
        {"object.definition": {"title": "x"}},
        f"{DEFINITION}.title",
        "not an allowed property",
    ),
    *bad("definition name numeric", {"object.definition": {"name": 12345}}, f"{DEFINITION}.name", "must be an object"),
    *bad(
        "definition name string",
        {"object.definition": {"name": "should error"}},
        f"{DEFINITION}.name",
        "must be an object",
    ),
    *bad(
        "definition bad tag",
        {"object.definition": {"description": {"something": "x"}}},
        f'{DEFINITION}.description["something"]',
        "RFC 5646",
    ),
    *bad(
        "definition moreInfo no scheme",
        {"object.definition": {"moreInfo": "example.com/345"}},
        f"{DEFINITION}.moreInfo",
        "absolute IRI",
    ),
    *bad(
        "definition extensions string",
        {"object.definition": {"extensions": "x"}},
        f"{DEFINITION}.extensions",
        "must be an object",
    ),
    *bad(
        "definition extension key",
        {"object.definition": {"extensions": {"not.valid.com/extension": 1}}},
        f'{DEFINITION}.extensions["not.valid.com/extension"]',
        "absolute IRIs",
    ),
    *bad(
        "interactionType wrong case",
        {"object.definition": {"interactionType": "true-faLse"}},
        f"{DEFINITION}.interactionType",
        "case-sensitive",
    ),
    *bad(
        "interactionType IRI",
        {"object.definition": {"interactionType": "http://example.com/choice"}},
        f"{DEFINITION}.interactionType",
        "must be one of",
    ),
    *bad(
        "interactionType numeric",
        {"object.definition": {"interactionType": 12345}},
        f"{DEFINITION}.interactionType",
        "must be a string",
    ),
    *bad(
        "interactionType object",
        {"object.definition": {"interactionType": {"a": 1}}},
        f"{DEFINITION}.interactionType",
        "must be a string",
    ),
    *bad(
        "correctResponsesPattern string",
        {"object.definition": {"interactionType": "other", "correctResponsesPattern": "x"}},
        f"{DEFINITION}.correctResponsesPattern",
        "must be an array",
    ),
    *bad(
        "correctResponsesPattern number",
        {"object.definition": {"interactionType": "numeric", "correctResponsesPattern": ["1", 2]}},
        f"{DEFINITION}.correctResponsesPattern[1]",
        "must be a string",
    ),
    *bad(
        "choices with true-false",
        {"object.definition": {"interactionType": "true-false", "choices": [{"id": "a"}]}},
        f"{DEFINITION}.choices",
        'not supported by interactionType "true-false"',
    ),
    *bad(
        "scale with choice",
        {"object.definition": {"interactionType": "choice", "scale": [{"id": "a"}]}},
        f"{DEFINITION}.scale",
        "not supported",
    ),
    *bad(
        "steps with matching",
        {"object.definition": {"interactionType": "matching", "steps": [{"id": "a"}]}},
        f"{DEFINITION}.steps",
        "not supported",
    ),
    *bad(
        "duplicate component ids",
        {"object.definition": {"interactionType": "likert", "scale": [{"id": "a"}, {"id": "b"}, {"id": "a"}]}},
        f"{DEFINITION}.scale[2].id",
        "duplicates the id of",
    ),
    *bad(
        "component without id",
        {"object.definition": {"interactionType": "choice", "choices": [{"description": {"en": "x"}}]}},
        f"{DEFINITION}.choices[0].id",
        "is required",
    ),
    *bad(
        "component id numeric",
        {"object.definition": {"interactionType": "choice", "choices": [{"id": 1}]}},
        f"{DEFINITION}.choices[0].id",
        "must be a string",
    ),
    *bad(
        "component not object",
        {"object.definition": {"interactionType": "choice", "choices": ["a"]}},
        f"{DEFINITION}.choices[0]",
        "must be an object",
    ),
    *bad(
        "component unknown property",
        {"object.definition": {"interactionType": "performance", "steps": [{"id": "a", "name": "x"}]}},
        f"{DEFINITION}.steps[0].name",
        "not an allowed property",
    ),
    *bad(
        "component bad description",
        {"object.definition": {"interactionType": "matching", "source": [{"id": "a", "description": {"en-": "x"}}]}},
        f'{DEFINITION}.source[0].description["en-"]',
        "RFC 5646",
    ),
    *bad("statement ref without id", {"object": {"objectType": "StatementRef"}}, "statement.object.id", "is required"),
    *bad(
        "statement ref bad id",
        {"object": {"objectType": "StatementRef", "id": "should fail"}},
        "statement.object.id",
        "must be a UUID",
    ),
    *bad(
        "statement ref extra property",
        {"object": {"objectType": "StatementRef", "id": UUID_B, "definition": {}}},
        "statement.object.definition",
        "not an allowed property",
    ),
    # substatement
    *bad(
        "nested substatement",
        {"object": SUBSTATEMENT, "object.object": SUBSTATEMENT},
        "statement.object.object.objectType",
        "cannot contain another SubStatement",
    ),
    *bad(
        "substatement with id",
        {"object": SUBSTATEMENT, "object.id": UUID_A},
        "statement.object.id",
        "not allowed in a SubStatement",
    ),
    *bad(
        "substatement with stored",
        {"object": SUBSTATEMENT, "object.stored": "2024-01-01T00:00:00Z"},
        "statement.object.stored",
        "not allowed in a SubStatement",
    ),
    *bad(
        "substatement with version",
        {"object": SUBSTATEMENT, "object.version": "1.0.0"},
        "statement.object.version",
        "not allowed in a SubStatement",
    ),
    *bad(
        "substatement with authority",
        {"object": SUBSTATEMENT, "object.authority": AGENT},
        "statement.object.authority",
        "not allowed in a SubStatement",
    ),
    *bad(
        "substatement without actor",
        {"object": SUBSTATEMENT, "object.actor": DELETE},
        "statement.object.actor",
        "is required",
    ),
    *bad(
        "substatement without verb",
        {"object": SUBSTATEMENT, "object.verb": DELETE},
        "statement.object.verb",
        "is required",
    ),
    *bad(
        "substatement without object",
        {"object": SUBSTATEMENT, "object.object": DELETE},
        "statement.object.object",
        "is required",
    ),
    *bad(
        "substatement unknown property",
        {"object": SUBSTATEMENT, "object.dummy": 1},
        "statement.object.dummy",
        "not an allowed property",
    ),
    *bad(
        "substatement bad actor",
        {"object": SUBSTATEMENT, "object.actor": {"objectType": "Agent"}},
        "statement.object.actor",
        "exactly one IFI",
    ),
    *bad(
        "substatement bad verb",
        {"object": SUBSTATEMENT, "object.verb": {"id": "reported"}},
        "statement.object.verb.id",
        "absolute IRI",
    ),
    *bad(
        "substatement bad timestamp",
        {"object": SUBSTATEMENT, "object.timestamp": "01/011/2015"},
        "statement.object.timestamp",
        "ISO 8601",
    ),
    *bad(
        "substatement revision, agent",
        {"object": SUBSTATEMENT, "object.object": AGENT},
        "statement.object.context.revision",
        "only allowed when",
    ),
    *bad(
        "substatement bad object id",
        {"object": SUBSTATEMENT, "object.object": {"id": "no scheme"}},
        "statement.object.object.id",
        "absolute IRI",
    ),
    *bad(
        "substatement bad result",
        {"object": SUBSTATEMENT, "object.result": {"success": "true"}},
        "statement.object.result.success",
        "boolean",
    ),
    *bad(
        "substatement bad attachment",
        {"object": SUBSTATEMENT, "object.attachments": [{}]},
        "statement.object.attachments[0].usageType",
        "is required",
    ),
    *bad(
        "substatement contextAgents under 1.0",
        {"object": SUBSTATEMENT, "object.context": {"contextAgents": [CONTEXT_AGENT]}},
        "statement.object.context.contextAgents",
        "xAPI 2.0 property",
        BASE,
        (V1,),
    ),
    # result
    *bad("result string", {"result": "passed"}, "statement.result", "must be an object"),
    *bad("result unknown property", {"result": {"grade": "A"}}, "statement.result.grade", "not an allowed property"),
    *bad("score numeric", {"result": {"score": 0.9}}, "statement.result.score", "must be an object"),
    *bad(
        "score unknown property",
        {"result": {"score": {"percent": 3}}},
        "statement.result.score.percent",
        "not an allowed property",
    ),
    *bad(
        "scaled above 1",
        {"result": {"score": {"scaled": 1.01}}},
        "statement.result.score.scaled",
        "must be between -1 and 1",
    ),
    *bad(
        "scaled below -1",
        {"result": {"score": {"scaled": -1.00001}}},
        "statement.result.score.scaled",
        "must be between -1 and 1",
    ),
    *bad(
        "scaled string",
        {"result": {"score": {"scaled": "0.5"}}},
        "statement.result.score.scaled",
        "must be a number, not a string",
    ),
    *bad("scaled boolean", {"result": {"score": {"scaled": True}}}, "statement.result.score.scaled", "not a boolean"),
    *bad(
        "raw string of a number", {"result": {"score": {"raw": "95"}}}, "statement.result.score.raw", "must be a number"
    ),
    *bad(
        "raw greater than max",
        {"result": {"score": {"raw": 101, "min": 0, "max": 100}}},
        "statement.result.score.raw",
        "greater than max",
    ),
    *bad(
        "raw less than min",
        {"result": {"score": {"raw": -1, "min": 0, "max": 100}}},
        "statement.result.score.raw",
        "less than min",
    ),
    *bad(
        "raw less than min, no max",
        {"result": {"score": {"raw": 1, "min": 2}}},
        "statement.result.score.raw",
        "less than min",
    ),
    *bad(
        "min greater than max",
        {"result": {"score": {"min": 10.5, "max": 10.25}}},
        "statement.result.score.min",
        "less than max",
    ),
    *bad(
        "min equal to max", {"result": {"score": {"min": 10, "max": 10}}}, "statement.result.score.min", "less than max"
    ),
    *bad("max string", {"result": {"score": {"max": "100"}}}, "statement.result.score.max", "must be a number"),
    *bad("success string true", {"result": {"success": "true"}}, "statement.result.success", "must be a boolean"),
    *bad(
        "completion string false",
        {"result": {"completion": "false"}},
        "statement.result.completion",
        "must be a boolean",
    ),
    *bad("completion number", {"result": {"completion": 1}}, "statement.result.completion", "not a number"),
    *bad("response number", {"result": {"response": 12345}}, "statement.result.response", "must be a string"),
    *bad(
        "duration number", {"result": {"duration": 12345}}, "statement.result.duration", "duration string, not a number"
    ),
    *bad(
        "result extensions string", {"result": {"extensions": "x"}}, "statement.result.extensions", "must be an object"
    ),
    *bad(
        "result extension key",
        {"result": {"extensions": {"example.com/x": 1}}},
        'statement.result.extensions["example.com/x"]',
        "absolute IRIs",
    ),
    # context
    *bad("context string", {"context": "x"}, "statement.context", "must be an object"),
    *bad(
        "context unknown property",
        {"context": {"session": "x"}},
        "statement.context.session",
        "not an allowed property",
    ),
    *bad(
        "registration not UUID",
        {"context": {"registration": "should fail"}},
        "statement.context.registration",
        "must be a UUID",
    ),
    *bad(
        "registration object",
        {"context": {"registration": {"key": "x"}}},
        "statement.context.registration",
        "not an object",
    ),
    *bad("instructor string", {"context": {"instructor": "x"}}, "statement.context.instructor", "must be an object"),
    *bad(
        "instructor without IFI",
        {"context": {"instructor": {"key": "x"}}},
        "statement.context.instructor.key",
        "not an allowed property",
    ),
    *bad("team is an agent", {"context": {"team": AGENT}}, "statement.context.team.objectType", 'must be "Group"'),
    *bad(
        "team without objectType",
        {"context": {"team": {"member": [AGENT]}}},
        "statement.context.team.objectType",
        "a team is a Group",
    ),
    *bad(
        "team without member",
        {"context": {"team": {"objectType": "Group"}}},
        "statement.context.team.member",
        "is required",
    ),
    *bad("contextActivities string", {"context": {"contextActivities": "x"}}, CA, "must be an object"),
    *bad(
        "contextActivities unknown key",
        {"context": {"contextActivities": {"consequences": [ACTIVITY]}}},
        f"{CA}.consequences",
        "not an allowed property",
    ),
    *bad(
        "contextActivities wrong case",
        {"context": {"contextActivities": {"Parent": [ACTIVITY]}}},
        f"{CA}.Parent",
        "case-sensitive",
    ),
    *bad(
        "contextActivities value string",
        {"context": {"contextActivities": {"parent": "http://x.example"}}},
        f"{CA}.parent",
        "an Activity object or an array",
    ),
    *bad(
        "contextActivities item no id",
        {"context": {"contextActivities": {"parent": [{"objectType": "Activity"}]}}},
        f"{CA}.parent[0].id",
        "is required",
    ),
    *bad(
        "contextActivities item bad id",
        {"context": {"contextActivities": {"grouping": [ACTIVITY, {"id": "x y"}]}}},
        f"{CA}.grouping[1].id",
        "must be an absolute IRI",
    ),
    *bad(
        "contextActivities object bad id",
        {"context": {"contextActivities": {"other": {"id": "x"}}}},
        f"{CA}.other.id",
        "absolute IRI",
    ),
    *bad(
        "contextActivities item agent",
        {"context": {"contextActivities": {"category": [AGENT]}}},
        f"{CA}.category[0].objectType",
        '"Activity"',
    ),
    *bad(
        "contextActivities item string",
        {"context": {"contextActivities": {"parent": ["http://x.example"]}}},
        f"{CA}.parent[0]",
        "must be an object",
    ),
    *bad("revision numeric", {"context": {"revision": 3}}, "statement.context.revision", "must be a string"),
    *bad("platform object", {"context": {"platform": {"a": 1}}}, "statement.context.platform", "must be a string"),
    *bad(
        "revision, agent object",
        {"object": AGENT, "context": {"revision": "1"}},
        "statement.context.revision",
        "only allowed when the statement's object is an Activity",
    ),
    *bad(
        "revision, group object",
        {"object": {"objectType": "Group", "member": [AGENT]}, "context": {"revision": "1"}},
        "statement.context.revision",
        "only allowed",
    ),
    *bad(
        "platform, statement ref",
        {"object": {"objectType": "StatementRef", "id": UUID_B}, "context": {"platform": "p"}},
        "statement.context.platform",
        "only allowed",
    ),
    *bad(
        "platform, substatement",
        {"object": SUBSTATEMENT, "context": {"platform": "p"}},
        "statement.context.platform",
        "only allowed",
    ),
    *bad("language invalid", {"context": {"language": "something"}}, "statement.context.language", "RFC 5646"),
    *bad("language numeric", {"context": {"language": 12345}}, "statement.context.language", "not a number"),
    *bad("language object", {"context": {"language": {"en": "x"}}}, "statement.context.language", "not an object"),
    *bad(
        "context statement objectType",
        {"context": {"statement": {"objectType": "statementref", "id": UUID_B}}},
        "statement.context.statement.objectType",
        '"StatementRef"',
    ),
    *bad(
        "context statement no objectType",
        {"context": {"statement": {"id": UUID_B}}},
        "statement.context.statement.objectType",
        "is required",
    ),
    *bad(
        "context statement bad id",
        {"context": {"statement": {"objectType": "StatementRef", "id": "x"}}},
        "statement.context.statement.id",
        "must be a UUID",
    ),
    *bad(
        "context statement numeric id",
        {"context": {"statement": {"objectType": "StatementRef", "id": 1}}},
        "statement.context.statement.id",
        "not a number",
    ),
    *bad(
        "context extension key",
        {"context": {"extensions": {"example.com/x": 1}}},
        'statement.context.extensions["example.com/x"]',
        "absolute IRIs",
    ),
    *bad(
        "contextAgents under 1.0",
        {"context": {"contextAgents": [CONTEXT_AGENT]}},
        "statement.context.contextAgents",
        "xAPI 2.0 property",
        BASE,
        (V1,),
    ),
    *bad(
        "contextGroups under 1.0",
        {"context": {"contextGroups": [CONTEXT_GROUP]}},
        GROUPS,
        "xAPI 2.0 property",
        BASE,
        (V1,),
    ),
    *bad(
        "contextAgents not array",
        {"context": {"contextAgents": CONTEXT_AGENT}},
        "statement.context.contextAgents",
        "must be an array",
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent objectType wrong",
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "objectType": "Should fail"}]}},
        f"{AGENTS}.objectType",
        '"contextAgent"',
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent objectType missing",
        {"context": {"contextAgents": [{"agent": AGENT}]}},
        f"{AGENTS}.objectType",
        "is required",
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent agent missing",
        {"context": {"contextAgents": [{"objectType": "contextAgent"}]}},
        f"{AGENTS}.agent",
        "is required",
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent agent invalid",
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "agent": {"key": "x"}}]}},
        f"{AGENTS}.agent.key",
        "not an allowed property",
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent agent is a group",
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "agent": {"objectType": "Group", "member": [AGENT]}}]}},
        f"{AGENTS}.agent.objectType",
        '"Agent"',
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent relevantTypes empty",
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": []}]}},
        f"{AGENTS}.relevantTypes",
        "at least one IRI",
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent relevantTypes not IRI",
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": ["abc"]}]}},
        f"{AGENTS}.relevantTypes[0]",
        "absolute IRI",
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent relevantTypes string",
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": "http://a.example"}]}},
        f"{AGENTS}.relevantTypes",
        "must be an array",
        BASE,
        (V2,),
    ),
    *bad(
        "contextAgent unknown property",
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "role": "x"}]}},
        f"{AGENTS}.role",
        "not an allowed property",
        BASE,
        (V2,),
    ),
    *bad(
        "contextGroup objectType wrong",
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "objectType": "contextAgent"}]}},
        f"{GROUPS}[0].objectType",
        '"contextGroup"',
        BASE,
        (V2,),
    ),
    *bad(
        "contextGroup group invalid",
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "group": {"key": "x"}}]}},
        f"{GROUPS}[0].group.objectType",
        'must be "Group"',
        BASE,
        (V2,),
    ),
    *bad(
        "contextGroup group no member",
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "group": {"objectType": "Group"}}]}},
        f"{GROUPS}[0].group.member",
        "is required",
        BASE,
        (V2,),
    ),
    *bad(
        "contextGroup relevantTypes empty",
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "relevantTypes": []}]}},
        f"{GROUPS}[0].relevantTypes",
        "at least one IRI",
        BASE,
        (V2,),
    ),
    *bad(
        "contextGroup relevantTypes not IRI",
        {"context": {"contextGroups": [CONTEXT_GROUP, {**CONTEXT_GROUP, "relevantTypes": ["abc"]}]}},
        f"{GROUPS}[1].relevantTypes[0]",
        "absolute IRI",
        BASE,
        (V2,),
    ),
    *bad(
        "contextGroup group missing",
        {"context": {"contextGroups": [{"objectType": "contextGroup"}]}},
        f"{GROUPS}[0].group",
        "is required",
        BASE,
        (V2,),
    ),
    # authority
    *bad(
        "authority identified group",
        {"authority": {"objectType": "Group", "mbox": "mailto:g@example.com", "member": [OAUTH_APP, AGENT_B]}},
        "statement.authority",
        "must be anonymous",
    ),
    *bad(
        "authority group one member",
        {"authority": {"objectType": "Group", "member": [AGENT_B]}},
        "statement.authority.member",
        "exactly two members",
    ),
    *bad(
        "authority group three members",
        {"authority": {"objectType": "Group", "member": [OAUTH_APP, AGENT_B, AGENT]}},
        "statement.authority.member",
        "exactly two members",
    ),
    *bad(
        "authority group without member",
        {"authority": {"objectType": "Group", "name": "Group"}},
        "statement.authority.member",
        "is required",
    ),
    *bad(
        "authority agent without IFI", {"authority": {"objectType": "Agent"}}, "statement.authority", "exactly one IFI"
    ),
    *bad(
        "authority objectType wrong",
        {"authority": {"objectType": "agent", "mbox": "mailto:a@example.com"}},
        "statement.authority.objectType",
        "must be",
    ),
    *bad(
        "authority member group",
        {
            "authority": {
                "objectType": "Group",
                "member": [OAUTH_APP, {"objectType": "Group", "mbox": "mailto:g@x.example"}],
            }
        },
        "statement.authority.member[1].objectType",
        "not Groups",
    ),
    # attachments
    *bad(
        "attachments object",
        {"attachments": {"usageType": "http://example.com/u"}},
        "statement.attachments",
        "must be an array",
        FULL,
    ),
    *bad("attachment numeric", {"attachments": [12345]}, ATTACHMENT, "must be an object", FULL),
    *bad(
        "attachment no usageType", {"attachments.0.usageType": DELETE}, f"{ATTACHMENT}.usageType", "is required", FULL
    ),
    *bad("attachment no display", {"attachments.0.display": DELETE}, f"{ATTACHMENT}.display", "is required", FULL),
    *bad(
        "attachment no contentType",
        {"attachments.0.contentType": DELETE},
        f"{ATTACHMENT}.contentType",
        "is required",
        FULL,
    ),
    *bad("attachment no length", {"attachments.0.length": DELETE}, f"{ATTACHMENT}.length", "is required", FULL),
    *bad("attachment no sha2", {"attachments.0.sha2": DELETE}, f"{ATTACHMENT}.sha2", "is required", FULL),
    *bad(
        "attachment unknown property",
        {"attachments.0.content": "x"},
        f"{ATTACHMENT}.content",
        "not an allowed property",
        FULL,
    ),
    *bad(
        "attachment usageType",
        {"attachments.0.usageType": "example.com/usage"},
        f"{ATTACHMENT}.usageType",
        "absolute IRI",
        FULL,
    ),
    *bad(
        "attachment display string", {"attachments.0.display": "x"}, f"{ATTACHMENT}.display", "must be an object", FULL
    ),
    *bad(
        "attachment display bad tag",
        {"attachments.0.display": {"a12345678": "x"}},
        f'{ATTACHMENT}.display["a12345678"]',
        "RFC 5646",
        FULL,
    ),
    *bad(
        "attachment description numeric",
        {"attachments.0.description": 12345},
        f"{ATTACHMENT}.description",
        "must be an object",
        FULL,
    ),
    *bad(
        "attachment contentType number",
        {"attachments.0.contentType": 12345},
        f"{ATTACHMENT}.contentType",
        "not a number",
        FULL,
    ),
    *bad(
        "attachment contentType no subtype",
        {"attachments.0.contentType": "pdf"},
        f"{ATTACHMENT}.contentType",
        "media type",
        FULL,
    ),
    *bad(
        "attachment length string", {"attachments.0.length": "27"}, f"{ATTACHMENT}.length", "must be an integer", FULL
    ),
    *bad(
        "attachment length decimal", {"attachments.0.length": 27.5}, f"{ATTACHMENT}.length", "must be an integer", FULL
    ),
    *bad("attachment length boolean", {"attachments.0.length": True}, f"{ATTACHMENT}.length", "not a boolean", FULL),
    *bad(
        "attachment length negative", {"attachments.0.length": -1}, f"{ATTACHMENT}.length", "must not be negative", FULL
    ),
    *bad("attachment sha2 number", {"attachments.0.sha2": 12345}, f"{ATTACHMENT}.sha2", "not a number", FULL),
    *bad("attachment sha2 not a hash", {"attachments.0.sha2": "should fail"}, f"{ATTACHMENT}.sha2", "SHA-2", FULL),
    *bad("attachment sha2 of sha1 length", {"attachments.0.sha2": SHA1}, f"{ATTACHMENT}.sha2", "SHA-2", FULL),
    *bad(
        "attachment fileUrl",
        {"attachments.0.fileUrl": "over.there.com/file.txt"},
        f"{ATTACHMENT}.fileUrl",
        "absolute IRI",
        FULL,
    ),
]
for _iri in BAD_IRIS:
    INVALID += bad(f"verb id {_iri!r}", {"verb.id": _iri}, "statement.verb.id", "IRI")
    INVALID += bad(f"object id {_iri!r}", {"object.id": _iri}, "statement.object.id", "IRI")
_timestamp: object
for _timestamp, _rule in (
    *(("should fail", "ISO 8601"), ("01/011/2015", "ISO 8601"), ("2008-09-15", "ISO 8601")),
    *(("2008-09-15T15:53:00.601-00", "negative zero"), ("2008-09-15T15:53:00.601-0000", "negative zero")),
    *(("2008-09-15T15:53:00.601-00:00", "negative zero"), ("2008-09-15 15:53:00Z", "ISO 8601")),
    *(("2008-09-15T15:53:00.Z", "ISO 8601"), ("2008-09-15T15:53:00+24:00", "ISO 8601")),
    *(("2008-09-15T15:53:00+05:60", "ISO 8601"), ("2008-02-30T15:53:00Z", "not a valid date")),
    *(("2008-09-15T25:53:00Z", "not a valid date"), ("2008-09-15T15:53:60Z", "not a valid date")),
    *(("0001-01-01T00:30:00+01:00", "not a valid date"), ("2008-09-15T15:53:00Z ", "ISO 8601")),
    *(("２００８-09-15T15:53:00Z", "ISO 8601"), (1221494000, "not a number")),
):
    INVALID += bad(f"timestamp {_timestamp!r}", {"timestamp": _timestamp}, "statement.timestamp", _rule)
for _duration in (
    *("should fail", "PA1H0M0S", "P4W1D", "P", "PT", "P1DT", "1H", "-P1D", "P0003-01-29T04:35:59", "P0.5YT1H"),
    *("PT1.5H30M", "p1d", "PT1H ", "P١D"),
):
    INVALID += bad(
        f"duration {_duration!r}", {"result": {"duration": _duration}}, "statement.result.duration", "ISO 8601 duration"
    )
for _tag in (
    *("something", "a12345678", "en-something-AU", "zh-z-aaa-z-bbb-c-ccc", "de-1901-1901", "", "en_US", "en-", "-en"),
    *("e", "en-US-", "x", "i-foo", "en-x", "ſr"),
):
    INVALID += bad(
        f"language tag {_tag!r}",
        {"object.definition": {"name": {_tag: "x"}}},
        f'{DEFINITION}.name["{_tag}"]',
        "RFC 5646",
    )


@pytest.mark.parametrize(("statement", "path", "rule", "version"), INVALID)
def test_invalid_statement(statement: dict[str, Any], path: str, rule: str, version: XapiVersion) -> None:
    message = rejection(statement, version)
    assert message.startswith(f"{path}: "), message
    assert rule in message, message


@pytest.mark.parametrize("statement", [None, [], "statement", 42, True], ids=repr)
def test_statement_must_be_an_object(statement: object) -> None:
    assert rejection(statement, V2).startswith("statement: must ")


@pytest.mark.parametrize("interaction_type", INTERACTIONS)
def test_interaction_properties_need_interaction_type(interaction_type: str) -> None:
    message = rejection(build({"object.definition": INTERACTIONS[interaction_type]}), V1)
    assert message.startswith(f"{DEFINITION}.interactionType: is required when"), message


# ---------------------------------------------------------------------------- batches


def test_batch_of_one_object_is_a_list() -> None:
    statement = build({})
    assert validate_statements(statement, V1) == [statement]
    assert validate_statements(statement, V1)[0] is statement


def test_batch_array_is_returned_as_is() -> None:
    batch = [build({"id": UUID_A}), build({"id": UUID_B}), build({})]
    assert validate_statements(batch, V2) is batch


def test_empty_batch_is_accepted() -> None:
    assert validate_statements([], V2) == []


def test_batch_paths_name_the_index() -> None:
    with pytest.raises(StatementError, match=r"^statements\[1\]\.actor\.mbox: "):
        validate_statements([build({}), build({"actor.mbox": "x"})], V1)


def test_batch_element_must_be_an_object() -> None:
    with pytest.raises(StatementError, match=r"^statements\[0\]: must be an object, not a string"):
        validate_statements(["x"], V1)


def test_batch_rejects_duplicate_ids_ignoring_case() -> None:
    batch = [build({"id": UUID_A}), build({}), build({"id": UUID_A.upper()})]
    with pytest.raises(StatementError, match=r"^statements\[2\]\.id: duplicates the id of statements\[0\]"):
        validate_statements(batch, V2)


@pytest.mark.parametrize("payload", [None, "x", 1, True], ids=repr)
def test_batch_must_be_object_or_array(payload: object) -> None:
    with pytest.raises(StatementError, match=r"^statements: must "):
        validate_statements(payload, V1)


# ---------------------------------------------------------------------------- normalisation


def test_normalise_makes_context_activities_arrays_without_touching_the_input() -> None:
    statement = build({}, FULL)
    original = copy.deepcopy(statement)
    stored = normalise_statement(statement, V1)
    assert statement == original
    activities = stored["context"]["contextActivities"]
    assert activities["grouping"] == [FULL["context"]["contextActivities"]["grouping"]]
    assert activities["parent"] == FULL["context"]["contextActivities"]["parent"]
    assert activities["other"] == []
    assert stored["timestamp"] == FULL["timestamp"], "1.0 keeps the timestamp as sent"
    assert stored["object"] is statement["object"], "unchanged parts are shared, not copied"


def test_normalise_substatement() -> None:
    statement = build({"object": SUBSTATEMENT})
    stored = normalise_statement(statement, V2)
    assert stored["object"]["context"]["contextActivities"]["parent"] == [ACTIVITY]
    assert stored["object"]["timestamp"] == "2024-05-04T17:00:00Z"
    assert statement["object"]["timestamp"] == "2024-05-04T12:00:00-05:00"
    assert normalise_statement(statement, V1)["object"]["timestamp"] == "2024-05-04T12:00:00-05:00"


@pytest.mark.parametrize(
    ("timestamp", "utc"),
    [
        ("2023-05-04T12:00:00-05:00", "2023-05-04T17:00:00Z"),
        ("2024-05-04T12:00:00.123+07:00", "2024-05-04T05:00:00.123Z"),
        ("2024-01-01T00:30:00.123456789+01:00", "2023-12-31T23:30:00.123456789Z"),
        ("2008-09-15T15:53:00.601+00:00", "2008-09-15T15:53:00.601Z"),
        ("2008-09-15T15:53:00.601Z", "2008-09-15T15:53:00.601Z"),
        ("2008-09-15t15:53:00z", "2008-09-15T15:53:00Z"),
        ("2008-09-15T15:53", "2008-09-15T15:53:00Z"),
        ("20080915T155300,5-0130", "2008-09-15T17:23:00.5Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("0002-01-01T00:00:00+01:00", "0001-12-31T23:00:00Z"),
    ],
)
def test_normalise_converts_timestamps_to_utc_under_v2(timestamp: str, utc: str) -> None:
    statement = build({"timestamp": timestamp})
    validate_statement(statement, V2)
    stored = normalise_statement(statement, V2)
    assert stored["timestamp"] == utc
    assert parse_timestamp(utc) == parse_timestamp(timestamp)


def test_normalise_returns_the_same_object_when_nothing_changes() -> None:
    statement = build(
        {"timestamp": "2024-05-04T05:00:00.000Z", "context": {"contextActivities": {"parent": [ACTIVITY]}}}
    )
    assert normalise_statement(statement, V2) is statement
    assert normalise_statement(statement, V1) is statement


# ---------------------------------------------------------------------------- agents (query parameters)


@pytest.mark.parametrize(
    "agent",
    [
        {"mbox": "mailto:a@example.com"},
        {"objectType": "Agent", "mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
        {"openid": "https://openid.example.com/a"},
        {"account": {"homePage": "https://a.example.com", "name": "a"}, "name": "A"},
    ],
)
def test_valid_agent_parameter(agent: dict[str, Any]) -> None:
    validate_agent(agent, V1)
    validate_agent(agent, V2, allow_group=True)


@pytest.mark.parametrize(
    ("agent", "allow_group", "message"),
    [
        ("wrong", False, "agent: must be an object, not a string"),
        ({}, False, "agent: an Agent must have exactly one IFI"),
        ({"name": "x"}, False, "agent: an Agent must have exactly one IFI"),
        ({"mbox": "a@example.com"}, False, 'agent.mbox: must be a "mailto:" IRI'),
        ({"mbox": "mailto:a@example.com", "openid": "http://x.example"}, False, 'agent: has both "mbox" and "openid"'),
        ({"objectType": "Group", "mbox": "mailto:g@example.com"}, False, 'agent.objectType: must be "Agent"'),
        ({"objectType": "Group", "member": [AGENT]}, True, "agent: must be identified by an IFI"),
        ({"objectType": "group", "mbox": "mailto:g@example.com"}, True, 'agent.objectType: must be "Agent" or "Group"'),
        ({"mbox": "mailto:a@example.com", "member": []}, False, "agent.member: is only allowed in a Group"),
    ],
)
def test_invalid_agent_parameter(agent: object, allow_group: bool, message: str) -> None:
    with pytest.raises(StatementError) as caught:
        validate_agent(agent, V2, allow_group=allow_group)
    assert caught.value.message.startswith(message), caught.value.message


def test_identified_group_as_agent_parameter() -> None:
    validate_agent({"objectType": "Group", "mbox": "mailto:g@example.com"}, V2, allow_group=True)


def test_group_or_agent_uses_the_given_path() -> None:
    validate_group_or_agent({"objectType": "Group", "member": [AGENT]}, V1, "related")
    with pytest.raises(StatementError, match=r"^instructor\.member\[0\]\.mbox: "):
        validate_group_or_agent({"objectType": "Group", "member": [{"mbox": "x"}]}, V1, "instructor")


# ---------------------------------------------------------------------------- scalar validators


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com",
        "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "mailto:a@example.com",
        "https://ตัวอย่าง.ไทย/หน้า?q=1#top",
        "http://example.com/a%20b",
        "tag:example.com,2024:x",
        "http://example.com/path/../x",
    ],
)
def test_valid_iri(value: str) -> None:
    validate_iri(value, "iri")


@pytest.mark.parametrize("value", [*BAD_IRIS, None, "http://example.com/a\nb", "http://example.com/<x>", "1http://x"])
def test_invalid_iri(value: object) -> None:
    with pytest.raises(StatementError, match=r"^iri: must "):
        validate_iri(value, "iri")


@pytest.mark.parametrize("value", ["wrong", UUID_A + "0", UUID_A[:-1], None, 1, UUID_A.replace("-", "_")])
def test_invalid_uuid(value: object) -> None:
    with pytest.raises(StatementError, match=r"^statementId: must "):
        validate_uuid(value, "statementId")


def test_valid_uuid() -> None:
    validate_uuid(UUID_A, "statementId")
    validate_uuid(UUID_A.upper(), "statementId")


def test_language_map() -> None:
    validate_language_map({"en-US": "x", "th": "ก", "zh-Hant-TW": ""}, "display")
    with pytest.raises(StatementError, match=r'^display\["en-US"\]: must be a string, not an array'):
        validate_language_map({"en-US": ["x"]}, "display")
    with pytest.raises(StatementError, match=r"^display: must be an object, not an array"):
        validate_language_map([], "display")


def test_parse_timestamp_is_timezone_aware() -> None:
    assert parse_timestamp("2024-05-04T12:00:00.5+07:00") == datetime(2024, 5, 4, 5, 0, 0, 500000, tzinfo=UTC)
    assert parse_timestamp("2024-05-04T12:00:00") == datetime(2024, 5, 4, 12, tzinfo=UTC)
    moment = parse_timestamp("2024-05-04T12:00:00-03:30")
    assert moment.utcoffset() == -timedelta(hours=3, minutes=30)
    assert moment == datetime(2024, 5, 4, 12, tzinfo=timezone(-timedelta(hours=3, minutes=30)))


@pytest.mark.parametrize("value", ["wrong", "2024-05-04T12:00:00-00:00", "2024-13-01T00:00:00Z", 5])
def test_parse_timestamp_rejects(value: Any) -> None:
    with pytest.raises(StatementError, match=r"^since: "):
        parse_timestamp(value, "since")


def test_validate_timestamp_names_the_path() -> None:
    validate_timestamp("2024-05-04T12:00:00Z", "until", V1)
    with pytest.raises(StatementError, match=r"^until: must be an ISO 8601 timestamp"):
        validate_timestamp("2024-05-04", "until", V2)


# ---------------------------------------------------------------------------- JSON bodies


def test_parse_json() -> None:
    body = json.dumps([build({}, FULL)], ensure_ascii=False).encode()
    assert parse_json(body) == [FULL]
    assert parse_json(b'{"a": 1.5, "b": [true, null], "c": "\\ud83d\\ude00"}') == {
        "a": 1.5,
        "b": [True, None],
        "c": "😀",
    }


def test_parse_json_accepts_a_byte_order_mark() -> None:
    assert parse_json("\ufeff{}".encode()) == {}


def test_parse_json_keeps_the_last_of_duplicate_keys() -> None:
    assert parse_json(b'{"a": 1, "a": 2}') == {"a": 2}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"actor": ', "request body: is not valid JSON (Expecting value at line 1 column 11)"),
        (b"", "request body: is not valid JSON"),
        (b"{'a': 1}", "request body: is not valid JSON"),
        (b'{"a": 1} x', "request body: is not valid JSON (Extra data"),
        (b'{"name": "\xe0\xb8"}', "request body: is not valid UTF-8 (byte 10)"),
        (b"\xff\xfe{\x00}\x00", "request body: is not valid UTF-8"),
        (b'{"score": NaN}', "request body: NaN is not a JSON value"),
        (b'{"score": -Infinity}', "request body: -Infinity is not a JSON value"),
        (b'{"score": 1e400}', "request body: the number 1e400 is too large"),
        (b'{"name": "\\ud800"}', "request body: contains a \\u escape of a lone UTF-16 surrogate"),
        (b'{"n": ' + b"9" * 5000 + b"}", "request body: is not valid JSON"),
    ],
)
def test_parse_json_rejects(body: bytes, message: str) -> None:
    with pytest.raises(StatementError) as caught:
        parse_json(body)
    assert caught.value.message.startswith(message), caught.value.message
    assert caught.value.status == 400
