"""A real OpenID Provider (node-oidc-provider) for the module, people who match its accounts, a browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from academy.auth.models import User, UserSession
from academy.auth.oidc.models import OidcIdentity
from academy.db import db
from academy.org.identity import citizen_id_hash, make_citizen_id
from academy.org.models import Agency, Person
from tests.support.app import BASE_URL
from tests.support.oidc import API_KEY, Browser, RunningProvider, node_provider, provider_settings

KNOWN = make_citizen_id(101)
STRANGER = make_citizen_id(102)
RETIRED = make_citizen_id(103)
OFFICER = make_citizen_id(104)

ACCOUNTS: dict[str, dict[str, Any]] = {
    "somchai": {"password": "pw-somchai", "pid": KNOWN, "given_name": "สมชาย", "family_name": "ใจดี"},
    "stranger": {"password": "pw", "pid": STRANGER, "given_name": "ไม่รู้", "family_name": "จัก"},
    "retired": {"password": "pw", "pid": RETIRED, "given_name": "เกษียณ", "family_name": "แล้ว"},
    "officer": {"password": "pw", "pid": OFFICER, "given_name": "มานี", "family_name": "มีนา", "amr": ["pwd", "mfa"]},
    "nopid": {"password": "pw", "given_name": "ไม่มี", "family_name": "เลข"},
}


@pytest.fixture(scope="module")
def thaid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    """ThaID-like: the ID in ``pid``, an API-key header on the token request."""
    folder: Path = tmp_path_factory.mktemp("thaid")
    with node_provider(folder, base_url=BASE_URL, accounts=ACCOUNTS, token_headers={"x-imauth-apikey": API_KEY}) as op:
        yield op


@pytest.fixture
def use_providers(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def use(*providers: Any) -> None:
        monkeypatch.setitem(app.config, "ACADEMY_OIDC_PROVIDERS", tuple(providers))

    return use


@pytest.fixture
def thaid_configured(thaid: RunningProvider, use_providers: Callable[..., None]) -> None:
    use_providers(provider_settings(thaid.issuer, token_headers=(("x-imauth-apikey", API_KEY),), mfa_amr=("mfa",)))


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(client=app.test_client(), base_url=BASE_URL)


@pytest.fixture
def agency(make_agency: Callable[..., Agency]) -> Agency:
    return make_agency("03003", parent=make_agency("03"))


@pytest.fixture
def person_with_id(make_person: Callable[..., Person], agency: Agency) -> Callable[..., Person]:
    def make(citizen_id: str, **fields: Any) -> Person:
        person = make_person(agency, **fields)
        person.citizen_id_hash = citizen_id_hash(citizen_id)
        db.session.flush()
        return person

    return make


def stored_counts() -> tuple[int, int, int]:
    """Users, linked identities and live sessions: what a refused sign-in must not add to."""
    count = func.count()
    return (
        db.session.scalar(select(count).select_from(User)) or 0,
        db.session.scalar(select(count).select_from(OidcIdentity)) or 0,
        db.session.scalar(select(count).select_from(UserSession).where(UserSession.revoked_at.is_(None))) or 0,
    )


@pytest.fixture(scope="module")
def digitalid(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    """DGA Digital ID-like: the ID in ``citizen_id``, no extra header."""
    folder: Path = tmp_path_factory.mktemp("digitalid")
    accounts = {"somchai": {"password": "pw-dga", "citizen_id": KNOWN, "given_name": "สมชาย", "family_name": "ใจดี"}}
    with node_provider(folder, base_url=BASE_URL, name="digitalid", id_claim="citizen_id", accounts=accounts) as op:
        yield op
