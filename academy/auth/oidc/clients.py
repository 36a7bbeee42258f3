"""The configured providers and their Authlib clients (built when first used, never at import)."""

from __future__ import annotations

import os
from typing import Any

import requests
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import Flask, current_app, url_for

from academy.config import OidcProviderSettings

#: Clock skew allowed on the id_token's exp and iat, in seconds (the issue allows at most 2 minutes).
LEEWAY_SECONDS = 120
_EXTENSION = "academy_oidc"


class OidcRegistry:
    """Authlib clients for the providers in ``ACADEMY_OIDC_PROVIDERS``, rebuilt if that setting changes."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._built_for: tuple[OidcProviderSettings, ...] | None = None
        self._oauth: OAuth | None = None

    def _oauth_for(self, providers: tuple[OidcProviderSettings, ...]) -> OAuth:
        if self._oauth is None or self._built_for != providers:
            oauth = OAuth(self.app)
            for settings in providers:
                oauth.register(settings.name, **_client_options(settings))
            self._oauth, self._built_for = oauth, providers
        return self._oauth

    def client(self, settings: OidcProviderSettings) -> FlaskOAuth2App:
        client = self._oauth_for(configured_providers()).create_client(settings.name)
        assert isinstance(client, FlaskOAuth2App)
        return client


def _client_options(settings: OidcProviderSettings) -> dict[str, Any]:
    if settings.authorize_url:
        # No discovery document: the endpoints given by hand are the provider's metadata.
        metadata: dict[str, Any] = {
            "authorize_url": settings.authorize_url,
            "access_token_url": settings.token_url,
            "issuer": settings.issuer,
            "jwks_uri": settings.jwks_uri,
            "userinfo_endpoint": settings.userinfo_url or None,
            "end_session_endpoint": settings.end_session_url or None,
        }
    else:
        metadata = {"server_metadata_url": settings.metadata_url}
    return {
        **{key: value for key, value in metadata.items() if value},
        "client_id": settings.client_id,
        "client_secret": settings.client_secret or None,
        "client_kwargs": {
            "scope": " ".join(settings.scopes),
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic" if settings.client_secret else "none",
            "timeout": settings.timeout,
            **_network_options(settings),
        },
    }


def _network_options(settings: OidcProviderSettings) -> dict[str, Any]:
    """The environment's proxy and CA bundle for this provider, read once here rather than by every request.

    requests reads them (and ~/.netrc) again for every request it sends while ``trust_env`` is
    on: a millisecond of each callback. The proxy is the one the environment names for the
    issuer's host (HTTPS_PROXY, NO_PROXY), for all of the provider's endpoints.
    """
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return {
        "trust_env": False,
        "proxies": requests.utils.get_environ_proxies(settings.issuer or settings.token_url),
        "verify": bundle or True,
    }


def init_registry(app: Flask) -> None:
    app.extensions[_EXTENSION] = OidcRegistry(app)


def configured_providers() -> tuple[OidcProviderSettings, ...]:
    return tuple(current_app.config.get("ACADEMY_OIDC_PROVIDERS", ()))


def get_provider(name: str) -> OidcProviderSettings | None:
    return next((settings for settings in configured_providers() if settings.name == name), None)


def client_for(settings: OidcProviderSettings) -> FlaskOAuth2App:
    registry = current_app.extensions[_EXTENSION]
    assert isinstance(registry, OidcRegistry)
    return registry.client(settings)


def redirect_uri(settings: OidcProviderSettings) -> str:
    """The callback as the provider knows it: the platform's public URL, whatever proxy is in front."""
    return current_app.config["ACADEMY_BASE_URL"] + url_for("oidc.callback", name=settings.name)
