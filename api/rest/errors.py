"""The API's errors: raised with ``fail()``, answered in JSON by ``json_error()``."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Response, jsonify
from flask_smorest import abort
from werkzeug.exceptions import HTTPException


def fail(status: int, message: str, **extra: Any) -> NoReturn:
    """Stop the request with an error; ``errors`` (by field) and ``headers`` may come along."""
    abort(status, message=message, **extra)
    raise AssertionError("abort() raises")  # for the type checker: flask-smorest's abort is untyped


def json_error(error: HTTPException) -> tuple[Response, int, dict[str, str]]:
    """Every error of the API as JSON: code, status, message and, for invalid input, the fields."""
    data: dict[str, Any] = getattr(error, "data", None) or {}
    code = error.code or 500
    payload: dict[str, Any] = {"code": code, "status": error.name, "message": data.get("message") or error.description}
    if code == 429:
        payload["message"] = f"too many requests: the limit is {error.description}"
    errors = data.get("errors") or data.get("messages")
    if errors:
        payload["errors"] = errors
    return jsonify(payload), code, dict(data.get("headers") or {})
