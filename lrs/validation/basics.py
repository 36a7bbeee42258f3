"""Failing with a property's path and rule, and checking JSON types and keys: what every rule uses."""

from __future__ import annotations

import json
import math
import sys
from typing import Any, NoReturn

from lrs.errors import StatementError
from lrs.validation.constants import _BAD_PERCENT, _IRI, MAX_IRI_LENGTH


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
