"""Verifiable credentials: Open Badges 3.0 and CLR 2.0, signed (eddsa-rdfc-2022), revocable, verifiable."""

from __future__ import annotations

import os

from flask import Flask


def init_app(app: Flask) -> None:
    """Register credentials: models, pages, commands, and the projection that issues and revokes.

    Registered after competencies, so that a batch's enrolments and attainment are projected first.
    """
    from academy.cli import academy_cli
    from credentials import models as _models  # noqa: F401
    from credentials.cli import commands
    from credentials.services.issuing import (
        count_people,
        project_credentials,
        rebuild_credentials,
        snapshot_credentials,
    )
    from credentials.views import holder_bp, public_bp
    from lrs import register_projection

    # The signing keys (README, Credentials): from the environment, or instance/credential_key in development.
    app.config.setdefault("ACADEMY_CREDENTIAL_KEY", os.environ.get("ACADEMY_CREDENTIAL_KEY", ""))
    app.register_blueprint(public_bp)
    app.register_blueprint(holder_bp)
    for command in commands:
        academy_cli.add_command(command)
    register_projection(
        app,
        "credentials",
        project_credentials,
        rebuild_credentials,
        snapshot_credentials,
        size=count_people,
        unit="people",
        label="credentials issued",
    )
