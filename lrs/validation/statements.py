"""Statements and SubStatements: their core properties, object, verb, result and context."""

from __future__ import annotations

import json
from typing import Any

from lrs.validation.activities import _activity, _extensions
from lrs.validation.actors import _agent, _authority, _group, _ifi_of, validate_group_or_agent
from lrs.validation.attachments import _attachments
from lrs.validation.basics import (
    _array,
    _boolean,
    _check_keys,
    _fail,
    _number,
    _object,
    _object_type_error,
    _require,
    _string,
    _wrong_type,
)
from lrs.validation.constants import (
    _ACTIVITY_KEYS,
    _CONTEXT_ACTIVITY_KEYS,
    _CONTEXT_AGENT_KEYS,
    _CONTEXT_GROUP_KEYS,
    _CONTEXT_KEYS_V1,
    _CONTEXT_KEYS_V2,
    _DURATION,
    _FRACTION_NOT_LAST,
    _NOT_IN_SUBSTATEMENT,
    _OBJECT_TYPES,
    _RESULT_KEYS,
    _SCORE_KEYS,
    _STATEMENT_KEYS,
    _STATEMENT_REF_KEYS,
    _SUBSTATEMENT_KEYS,
    _V1_STATEMENT_VERSION,
    _V2_STATEMENT_VERSION,
    _VERB_KEYS,
    VOIDED_VERB,
)
from lrs.validation.scalars import (
    validate_iri,
    validate_language_map,
    validate_language_tag,
    validate_timestamp,
    validate_uuid,
)
from lrs.versions import XapiVersion


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
