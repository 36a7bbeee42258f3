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

from lrs.validation.actors import validate_agent, validate_group_or_agent
from lrs.validation.constants import MAX_IFI_KEY_LENGTH, MAX_IRI_LENGTH, MAX_MEDIA_TYPE_LENGTH, VOIDED_VERB
from lrs.validation.normalisation import normalise_statement
from lrs.validation.scalars import (
    parse_json,
    parse_timestamp,
    utc_timestamp,
    validate_iri,
    validate_language_map,
    validate_language_tag,
    validate_timestamp,
    validate_uuid,
)
from lrs.validation.statements import validate_statement, validate_statements

__all__ = [
    "MAX_IFI_KEY_LENGTH",
    "MAX_IRI_LENGTH",
    "MAX_MEDIA_TYPE_LENGTH",
    "VOIDED_VERB",
    "normalise_statement",
    "parse_json",
    "parse_timestamp",
    "utc_timestamp",
    "validate_agent",
    "validate_group_or_agent",
    "validate_iri",
    "validate_language_map",
    "validate_language_tag",
    "validate_statement",
    "validate_statements",
    "validate_timestamp",
    "validate_uuid",
]
