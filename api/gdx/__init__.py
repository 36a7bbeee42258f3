"""The GDX provider feed (coverage per agency, aggregate only) and the push to GDX's ingest."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the GDX feed: its models, /api/v1/gdx, its admin pages, and its commands."""
    from academy.cli import academy_cli
    from academy.extensions import csrf
    from api.gdx import models as _models  # noqa: F401
    from api.gdx.admin import bp as admin_bp
    from api.gdx.cli import commands
    from api.gdx.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    # The feed authenticates with Consumer-Key and Token headers; its admin pages use CSRF.
    csrf.exempt(bp)
    for command in commands:
        academy_cli.add_command(command)
