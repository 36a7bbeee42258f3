"""The REST API for agencies' HR systems: OpenAPI 3 (flask-smorest), bearer tokens scoped to an agency."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the REST API: its models, /api/v1 with its OpenAPI document and pages, and ``api-token``."""
    from academy.cli import academy_cli
    from api.rest import models as _models  # noqa: F401
    from api.rest.app import init_rest_api
    from api.rest.cli import api_token_cli

    init_rest_api(app)  # it exempts its token-authenticated blueprints from CSRF
    academy_cli.add_command(api_token_cli)
