"""A valid statement as the LRS stores it: contextActivities as arrays, V2 timestamps in UTC."""

from __future__ import annotations

from typing import Any

from lrs.validation.scalars import utc_timestamp
from lrs.versions import XapiVersion


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
