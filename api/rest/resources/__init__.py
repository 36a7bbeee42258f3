"""The API's resources, one flask-smorest blueprint each, all behind the same gate."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_smorest import Blueprint, Page
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException

from academy.db import db
from academy.extensions import limiter
from api.rest.auth import rate_limit, rate_limit_key, require_caller

#: One budget per token for the whole API, whichever resource it calls.
_api_rate_limit = limiter.shared_limit(rate_limit, scope="rest-api", key_func=rate_limit_key)


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


def make_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    """A resource's blueprint: authenticated, rate-limited per token, JSON errors."""
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix, description=description)
    blueprint.before_request(require_caller)
    blueprint.register_error_handler(HTTPException, json_error)
    _api_rate_limit(blueprint)
    return blueprint


class SelectPager(Page):
    """Pages through a SELECT: a COUNT for the total, LIMIT and OFFSET for the page."""

    collection: Select[Any]
    page_params: PaginationParameters

    @property
    def item_count(self) -> int:
        return db.session.scalar(select(func.count()).select_from(self.collection.order_by(None).subquery())) or 0

    @property
    def items(self) -> list[Any]:
        params = self.page_params
        if params.item_count is not None and params.first_item >= params.item_count:
            return []  # past the end: no query (and no OFFSET too large for the database)
        return list(db.session.scalars(self.collection.limit(params.page_size).offset(params.first_item)))
