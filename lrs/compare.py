"""When two statements are the same: the rules for a repeated id and for a signature's payload."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lrs.validation import normalise_statement
from lrs.versions import XapiVersion

#: Properties the LRS sets itself (or that travel outside the signature).
LRS_SET = frozenset({"stored", "authority", "version", "id"})
_FRACTION = re.compile(r"(\d+)\.(\d+)S$")


def _duration(value: str) -> str:
    # Durations compare to the hundredth of a second (xAPI 2.0, 4.2.7).
    match = _FRACTION.search(value)
    if not match:
        return value
    whole, fraction = match.groups()
    return f"{value[: match.start()]}{whole}.{(fraction + '00')[:2]}S"


def _part(part: Mapping[str, Any], ignore: frozenset[str]) -> dict[str, Any]:
    result = {key: value for key, value in part.items() if key not in ignore}
    outcome = result.get("result")
    if isinstance(outcome, Mapping) and isinstance(outcome.get("duration"), str):
        result["result"] = {**outcome, "duration": _duration(outcome["duration"])}
    target = result.get("object")
    if isinstance(target, Mapping) and target.get("objectType") == "SubStatement":
        result["object"] = _part(target, frozenset())
    return result


def comparable(statement: Mapping[str, Any], version: XapiVersion, ignore: frozenset[str] = LRS_SET) -> dict[str, Any]:
    """The statement as compared: normalised, without the ignored properties, durations to 0.01 s."""
    try:
        normal = normalise_statement(dict(statement), version)
    except (KeyError, TypeError, AttributeError):  # not a statement at all: compare as it is
        normal = dict(statement)
    return _part(normal, ignore)


def same_statement(incoming: Mapping[str, Any], stored: Mapping[str, Any], version: XapiVersion) -> bool:
    """Whether a statement sent again with a stored statement's id is that statement."""
    mine, theirs = comparable(incoming, version), comparable(stored, version)
    if "timestamp" not in incoming:  # the LRS filled it in
        theirs.pop("timestamp", None)
    return mine == theirs
