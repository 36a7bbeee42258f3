"""Binding the REST API to the application: the OpenAPI document, the resources, the pages."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api, Blueprint

from academy import inputs
from academy.extensions import csrf

API_DESCRIPTION = """\
The REST API of E-Workforce Academy for agencies' HR systems.

Every call carries an API token that an academy admin created for the agency:
`Authorization: Bearer ewa_...`. A token sees and writes its agency and every unit
beneath it; anything else answers 404. Calls are rate-limited per token (429 when over).
Lists are paginated (`page`, `page_size`); the `X-Pagination` header tells the totals.
Invalid input answers 422 with the fields at fault under `errors`.
"""


class AcademyApi(Api):
    """flask-smorest's Api, leaving the portal's HTML error pages alone."""

    def _register_error_handlers(self) -> None:
        # flask-smorest would answer every error of the whole app in JSON; the API's
        # own blueprints carry a JSON handler instead (api.rest.errors.json_error).
        pass

    def register_blueprint(self, blp: Blueprint, *, parameters: Any = None, **options: Any) -> None:
        """Register a resource and document it under its tag (see ResourceBlueprint)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
        self.spec.tag({"name": getattr(blp, "tag", name), "description": blp.description})


def resource_blueprints() -> list[Blueprint]:
    from api.rest.resources import agencies, cmi5, courses, coverage, frameworks, idps, people

    return [agencies.blp, people.blp, frameworks.blp, coverage.blp, idps.blp, courses.blp, cmi5.blp]


def init_rest_api(app: Flask) -> Api:
    """Serve the API under /api/v1, its OpenAPI document at /api/openapi.json, its pages."""
    from api.rest.admin import bp as admin_bp
    from api.rest.docs import bp as docs_bp

    app.config.setdefault("API_TITLE", "E-Workforce Academy API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {"description": API_DESCRIPTION},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        },
    )
    api = AcademyApi(app)
    for blueprint in resource_blueprints():
        api.register_blueprint(blueprint)
        # Writing needs a bearer token (a session may only read): there is no session CSRF to check.
        csrf.exempt(blueprint)
        # Its schemas check every parameter, NUL included, and answer 422 as its contract says.
        inputs.exempt(app, blueprint.name)
    app.register_blueprint(docs_bp)
    app.register_blueprint(admin_bp)
    return api
