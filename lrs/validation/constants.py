"""The patterns, key sets and limits the rules check against."""

from __future__ import annotations

import re

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
