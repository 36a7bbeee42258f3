"""Activities, their definitions and interaction components, and extensions."""

from __future__ import annotations

from typing import Any

from academy.inputs import json_problem
from lrs.errors import StatementError
from lrs.validation.basics import (
    _array,
    _check_keys,
    _fail,
    _is_iri,
    _object,
    _object_type_error,
    _require,
    _string,
    _wrong_type,
)
from lrs.validation.constants import (
    _ACTIVITY_KEYS,
    _COMPONENT_KEYS,
    _COMPONENT_LISTS,
    _DEFINITION_KEYS,
    _INTERACTION_KEYS,
    _INTERACTION_TYPES,
    MAX_IRI_LENGTH,
)
from lrs.validation.scalars import validate_iri, validate_language_map


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
