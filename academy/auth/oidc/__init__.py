"""OpenID Connect sign-in: providers from the environment, accounts that follow the HR record.

The citizen ID the provider vouches for is hashed (academy.org.identity) and finds the person;
the first sign-in makes a learner account for them, later ones reuse it.
"""

from __future__ import annotations

from flask import Flask

from academy.auth.oidc import models as models
from academy.auth.oidc.clients import configured_providers, init_registry


def init_app(app: Flask) -> None:
    from academy.auth.oidc.dev import dev_oidc_provider_command
    from academy.auth.oidc.services import identities_of
    from academy.auth.oidc.views import bp, label_of
    from academy.cli import academy_cli

    init_registry(app)
    app.register_blueprint(bp)
    if "dev-oidc-provider" not in academy_cli.commands:
        academy_cli.add_command(dev_oidc_provider_command)
    app.jinja_env.globals.update(
        oidc_providers=configured_providers, oidc_label=label_of, oidc_identities_of=identities_of
    )
