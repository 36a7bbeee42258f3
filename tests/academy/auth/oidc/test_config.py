"""OpenID Connect providers and the identity key, from the environment."""

from __future__ import annotations

import pytest
from flask import Flask

from academy.auth.oidc.clients import client_for
from academy.config import DEVELOPMENT_IDENTITY_KEY, ConfigError, Settings
from tests.support.oidc import provider_settings

PRODUCTION = {
    "ACADEMY_ENV": "production",
    "ACADEMY_SECRET_KEY": "x" * 48,
    "ACADEMY_BASE_URL": "https://academy.example.go.th",
    "ACADEMY_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
}


def test_production_requires_an_identity_key_of_its_own() -> None:
    with pytest.raises(ConfigError, match="ACADEMY_IDENTITY_KEY is required"):
        Settings.from_environ(PRODUCTION)
    with pytest.raises(ConfigError, match="public development key"):
        Settings.from_environ({**PRODUCTION, "ACADEMY_IDENTITY_KEY": DEVELOPMENT_IDENTITY_KEY})
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        Settings.from_environ({**PRODUCTION, "ACADEMY_IDENTITY_KEY": "short"})
    assert Settings.from_environ({**PRODUCTION, "ACADEMY_IDENTITY_KEY": "k" * 40}).identity_key == "k" * 40
    assert Settings.from_environ({"ACADEMY_ENV": "testing"}).identity_key == DEVELOPMENT_IDENTITY_KEY


def test_any_number_of_providers_each_from_its_variables() -> None:
    settings = Settings.from_environ(
        {
            "ACADEMY_ENV": "testing",
            "ACADEMY_OIDC_PROVIDERS": "thaid, digitalid mof",
            "ACADEMY_OIDC_THAID_ISSUER": "https://thaid.example/",
            "ACADEMY_OIDC_THAID_CLIENT_ID": "c1",
            "ACADEMY_OIDC_THAID_CLIENT_SECRET": "s1",
            "ACADEMY_OIDC_THAID_TOKEN_HEADERS": "x-imauth-apikey: key-1; X-Other: two",
            "ACADEMY_OIDC_THAID_MFA_AMR": "mfa otp",
            "ACADEMY_OIDC_DIGITALID_ISSUER": "https://digitalid.example",
            "ACADEMY_OIDC_DIGITALID_CLIENT_ID": "c2",
            "ACADEMY_OIDC_MOF_ISSUER": "https://login.example/tenant/v2.0",
            "ACADEMY_OIDC_MOF_CLIENT_ID": "c3",
            "ACADEMY_OIDC_MOF_EMAIL_DOMAINS": "mof.go.th, @fpo.go.th",
            "ACADEMY_OIDC_MOF_LABEL_TH": "บัญชีกระทรวงการคลัง",
        }
    )
    thaid, digitalid, mof = settings.oidc_providers
    assert (thaid.issuer, thaid.id_claim, thaid.scopes) == (
        "https://thaid.example",
        "pid",
        ("openid", "pid", "given_name", "family_name"),
    )
    assert thaid.token_headers == (("x-imauth-apikey", "key-1"), ("X-Other", "two"))
    assert (
        thaid.mfa_amr == ("mfa", "otp")
        and thaid.metadata_url == "https://thaid.example/.well-known/openid-configuration"
    )
    assert (digitalid.id_claim, digitalid.label_en) == ("citizen_id", "DGA Digital ID")
    assert digitalid.scopes == ("openid", "citizen_id", "given_name", "family_name")
    assert (mof.id_claim, mof.email_domains, mof.label_th, mof.label_en) == (
        "",
        ("mof.go.th", "fpo.go.th"),
        "บัญชีกระทรวงการคลัง",
        "Mof",
    )
    assert settings.flask_config()["ACADEMY_OIDC_PROVIDERS"] == settings.oidc_providers


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"ACADEMY_OIDC_X_ISSUER": "ftp://x", "ACADEMY_OIDC_X_CLIENT_ID": "c"}, "ISSUER"),
        ({"ACADEMY_OIDC_X_ISSUER": "https://x"}, "CLIENT_ID is required"),
        ({"ACADEMY_OIDC_X_ISSUER": "https://x", "ACADEMY_OIDC_X_CLIENT_ID": "c"}, "how are people matched"),
        (
            {
                "ACADEMY_OIDC_X_ISSUER": "https://x",
                "ACADEMY_OIDC_X_CLIENT_ID": "c",
                "ACADEMY_OIDC_X_ID_CLAIM": "pid",
                "ACADEMY_OIDC_X_AUTHORIZE_URL": "https://x/auth",
            },
            "go together",
        ),
        (
            {
                "ACADEMY_OIDC_X_ISSUER": "https://x",
                "ACADEMY_OIDC_X_CLIENT_ID": "c",
                "ACADEMY_OIDC_X_ID_CLAIM": "pid",
                "ACADEMY_OIDC_X_TOKEN_HEADERS": "no colon",
            },
            "TOKEN_HEADERS",
        ),
    ],
)
def test_a_provider_described_wrongly_is_refused_at_start(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_OIDC_PROVIDERS": "x", **extra})


def test_a_bad_provider_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a name"):
        Settings.from_environ({"ACADEMY_ENV": "testing", "ACADEMY_OIDC_PROVIDERS": "Thai-D"})


def test_the_environments_proxy_and_ca_bundle_are_read_once_per_provider(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests is told not to read the environment on every request: what it would read is given once."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.go.th:3128")
    monkeypatch.setenv("NO_PROXY", "inside.example.go.th")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/agency-ca.pem")
    outside = provider_settings("https://thaid.example")
    inside = provider_settings("https://inside.example.go.th/realms/mof", name="mof")
    monkeypatch.setitem(app.config, "ACADEMY_OIDC_PROVIDERS", (outside, inside))
    with app.app_context():
        through_proxy, direct = (client_for(settings).client_kwargs for settings in (outside, inside))
    assert through_proxy["trust_env"] is False and direct["trust_env"] is False
    assert through_proxy["proxies"]["https"] == "http://proxy.example.go.th:3128"
    assert direct["proxies"] == {}
    assert through_proxy["verify"] == direct["verify"] == "/etc/ssl/agency-ca.pem"
