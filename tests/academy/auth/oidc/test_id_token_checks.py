"""The id_token's checks, with id_tokens no honest provider issues: another key, an unknown key id
(the JWKS is fetched again, then refused), expired, issued in the future, another audience, another
issuer, another nonce; the clock skew allowed; an agency's provider matched by email domain."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from academy.auth.models import User
from academy.db import db
from academy.org.models import Person
from tests.academy.auth.oidc.conftest import KNOWN, stored_counts
from tests.support.oidc import Browser, ForgingProvider, provider_settings


@pytest.fixture
def forger(use_providers: Callable[..., None]) -> Iterator[ForgingProvider]:
    with ForgingProvider("https://academy.test", {"sub": "forged-sub", "pid": KNOWN}) as provider:
        use_providers(provider_settings(provider.issuer))
        yield provider


def sign_in(browser: Browser) -> Any:
    return browser.follow_provider(browser.start("/login/oidc/thaid"))


def refused(response: Any, reason: str) -> bool:
    return response.status_code == 400 and f'data-oidc-failure="{reason}"' in response.get_data(as_text=True)


def test_an_honest_token_signs_in(
    browser: Browser, forger: ForgingProvider, person_with_id: Callable[..., Person]
) -> None:
    person = person_with_id(KNOWN)
    assert sign_in(browser).status_code == 302
    assert db.session.scalar(select(User.id).where(User.person_id == person.id)) is not None


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        # Times are taken when the test runs, not when it is collected: in a long run, "in the
        # future" would otherwise have become the present (within the skew allowed) by then.
        (lambda: {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired"),
        (lambda: {"iat": int(time.time()) + 600, "exp": int(time.time()) + 900}, "expired"),
        (lambda: {"aud": "another-client"}, "audience"),
        (lambda: {"aud": "another-client", "azp": "academy-test"}, "audience"),
        (lambda: {"aud": ["another-client", "third-client"]}, "audience"),
        (lambda: {"iss": "https://evil.example"}, "issuer"),
        (lambda: {"nonce": "another-nonce"}, "nonce"),
    ],
    ids=["expired", "issued-in-the-future", "audience", "audience-naming-us-as-azp", "audiences", "issuer", "nonce"],
)
def test_a_token_failing_a_check_is_refused_and_stores_nothing(
    browser: Browser,
    forger: ForgingProvider,
    person_with_id: Callable[..., Person],
    claims: Callable[[], dict[str, Any]],
    reason: str,
) -> None:
    person_with_id(KNOWN)
    forger.forgery.claims = claims()
    before = stored_counts()
    assert refused(sign_in(browser), reason)
    assert stored_counts() == before


def test_clock_skew_within_two_minutes_is_allowed(
    browser: Browser, forger: ForgingProvider, person_with_id: Callable[..., Person]
) -> None:
    person_with_id(KNOWN)
    forger.forgery.claims = {"exp": int(time.time()) - 60, "iat": int(time.time()) - 360}
    assert sign_in(browser).status_code == 302


def test_a_token_signed_by_another_key_is_refused(
    browser: Browser, forger: ForgingProvider, person_with_id: Callable[..., Person]
) -> None:
    person_with_id(KNOWN)
    forger.forgery.sign_with_unlisted_key = True
    before = stored_counts()
    assert refused(sign_in(browser), "signature")
    assert stored_counts() == before


def test_an_unknown_key_id_fetches_the_keys_again_then_refuses(
    browser: Browser, forger: ForgingProvider, person_with_id: Callable[..., Person]
) -> None:
    person_with_id(KNOWN)
    assert sign_in(browser).status_code == 302  # the keys are now known (cached)
    fetched = forger.jwks_requests
    forger.forgery.sign_with_unlisted_key, forger.forgery.keep_listed_kid = True, False
    other = Browser(client=browser.client.application.test_client(), base_url=browser.base_url)
    assert refused(sign_in(other), "signature")
    assert forger.jwks_requests == fetched + 1  # a rotated key would have been found this way


def test_an_email_provider_signs_in_only_allowed_domains(
    browser: Browser, use_providers: Callable[..., None], make_person: Callable[..., Person], agency: Any
) -> None:
    make_person(agency, email="somsri@agency.go.th")
    with ForgingProvider(
        "https://academy.test", {"sub": "entra-1", "email": "somsri@agency.go.th", "email_verified": True}
    ) as provider:
        use_providers(provider_settings(provider.issuer, name="agency", id_claim="", email_domains=("other.go.th",)))
        before = stored_counts()
        response = browser.follow_provider(browser.start("/login/oidc/agency"))
        assert response.status_code == 403 and 'data-oidc-failure="email_domain"' in response.get_data(as_text=True)
        assert stored_counts() == before
        use_providers(provider_settings(provider.issuer, name="agency", id_claim="", email_domains=("agency.go.th",)))
        assert browser.follow_provider(browser.start("/login/oidc/agency")).status_code == 302
        assert db.session.scalar(select(User.email).where(User.email == "somsri@agency.go.th"))


def test_a_provider_without_discovery_uses_the_endpoints_given(
    browser: Browser, use_providers: Callable[..., None], person_with_id: Callable[..., Person]
) -> None:
    person = person_with_id(KNOWN)
    with ForgingProvider("https://academy.test", {"sub": "no-discovery", "pid": KNOWN}) as provider:
        use_providers(
            provider_settings(
                provider.issuer,
                authorize_url=f"{provider.issuer}/authorize",
                token_url=f"{provider.issuer}/token",
                jwks_uri=f"{provider.issuer}/jwks",
            )
        )
        assert sign_in(browser).status_code == 302
        assert provider.discovery_requests == 0
    assert db.session.scalar(select(User.id).where(User.person_id == person.id)) is not None


def test_a_provider_that_goes_down_before_the_token_request(
    browser: Browser, use_providers: Callable[..., None], person_with_id: Callable[..., Person]
) -> None:
    person_with_id(KNOWN)
    with ForgingProvider("https://academy.test", {"sub": "gone", "pid": KNOWN}) as provider:
        use_providers(provider_settings(provider.issuer, timeout=2.0))
        answer = browser.http.get(browser.start("/login/oidc/thaid"), allow_redirects=False, timeout=10)
        callback = answer.headers["Location"].removeprefix("https://academy.test")
    before = stored_counts()
    response = browser.client.get(callback)  # the token endpoint no longer answers
    assert response.status_code == 502 and 'data-oidc-failure="provider_down"' in response.get_data(as_text=True)
    assert stored_counts() == before


def test_refused_callbacks_are_rate_limited(browser: Browser, forger: ForgingProvider) -> None:
    answers = [browser.client.get("/login/oidc/thaid/callback?error=access_denied").status_code for _ in range(11)]
    assert answers[:10] == [400] * 10 and answers[10] == 429
