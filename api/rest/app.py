"""Binding the REST API to the application: the OpenAPI document, the resources, the pages."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from academy import inputs
from academy.extensions import csrf
from api.rest.resources import ResourceBlueprint, api_blueprint

API_DESCRIPTION = """\
The REST API of E-Workforce Academy for agencies' HR systems.

Every call carries an API token that an academy admin created for the agency:
`Authorization: Bearer ewa_...`. A token sees and writes its agency and every unit
beneath it; anything else answers 404. Calls are rate-limited per token (429 when over).
Lists are paginated (`page`, `page_size`); the `X-Pagination` header tells the totals.
Invalid input answers 422 with the fields at fault under `errors`.
"""


def resource_blueprints() -> list[ResourceBlueprint]:
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
    api = Api(app)
    resources = resource_blueprints()
    gate = api_blueprint(resources)
    api.register_blueprint(gate)
    for resource in resources:
        # Documented under its own name (flask-smorest adds a tag for the gate only).
        api.spec.tag({"name": resource.name, "description": resource.description})
        # Writing needs a bearer token (a session may only read): there is no session CSRF to check.
        csrf.exempt(resource)
    # Its schemas check every parameter, NUL included, and answer 422 as its contract says.
    inputs.exempt(app, gate.name)
    app.register_blueprint(docs_bp)
    app.register_blueprint(admin_bp)
    return api
