"""The xAPI Learning Record Store (xAPI 1.0.3 and 2.0), mounted at /xapi."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the LRS: its models, /xapi, the clients' admin pages, ``lrs-client``, and the batch lock."""
    from academy import inputs
    from academy.cli import academy_cli
    from academy.extensions import csrf
    from lrs import models as _models  # noqa: F401
    from lrs.admin import bp as admin_bp
    from lrs.cli import lrs_client_cli
    from lrs.pipeline import lock_batch_people, register_subscriber
    from lrs.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    # The LRS authenticates every request with client credentials, not a session cookie.
    csrf.exempt(bp)
    inputs.leave_body(app, bp.name)  # it reads the alternate syntax's form as the raw body
    academy_cli.add_command(lrs_client_cli)
    # The first statement subscriber: no two batches project one person at once (academy.projections).
    register_subscriber(app, lock_batch_people)
