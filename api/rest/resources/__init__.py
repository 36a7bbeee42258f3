"""The API's resources, one flask-smorest blueprint each, all behind the same gate."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint, Page
from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select
from werkzeug.exceptions import HTTPException

from academy.db import db
from academy.extensions import limiter
from api.rest.auth import rate_limit, rate_limit_key, require_caller
from api.rest.errors import json_error

#: One budget per token for the whole API, whichever resource it calls.
_api_rate_limit = limiter.shared_limit(rate_limit, scope="rest-api", key_func=rate_limit_key)


class ResourceBlueprint(Blueprint):
    """A resource's blueprint, nested in the API's: its operations are tagged with its own name.

    Nested, flask-smorest would tag them with the parent's name; nesting lets a resource be
    named "people" or "courses" beside the portal's blueprints of the same names.
    """

    def route(self, rule: str, *, parameters: Any = None, tags: list[str] | None = None, **options: Any) -> Any:
        return super().route(rule, parameters=parameters, tags=tags or [self.name], **options)


def make_blueprint(name: str, url_prefix: str, description: str) -> ResourceBlueprint:
    """A resource's blueprint, at ``url_prefix`` under /api/v1."""
    return ResourceBlueprint(name, __name__, url_prefix=url_prefix, description=description)


def api_blueprint(resources: list[ResourceBlueprint]) -> Blueprint:
    """/api/v1: every resource behind one gate: authenticated, rate-limited per token, JSON errors."""
    gate = Blueprint("api", __name__, url_prefix="/api/v1", description="Version 1 of the API: its resources follow.")
    gate.before_request(require_caller)
    gate.register_error_handler(HTTPException, json_error)
    _api_rate_limit(gate)
    for resource in resources:
        gate.register_blueprint(resource)
    return gate


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


def page_of(query: Select[Any], params: PaginationParameters) -> list[Any]:
    """One page of a SELECT, for views that paginate themselves; tells flask-smorest the total."""
    return SelectPager(query, params).items
