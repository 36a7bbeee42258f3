"""Machine credentials (academy.credentials): LRS clients, API tokens and GDX consumers share one pattern."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.credentials import (
    CredentialMixin,
    check_credential_name,
    find_by_key,
    revoke_credential,
    verify_credential,
)
from academy.db import db
from academy.org.models import Agency
from api.gdx.models import GdxConsumer
from api.gdx.services.consumers import ConsumerError, create_consumer
from api.rest.models import ApiToken
from api.rest.tokens import TokenError, create_token
from lrs.models import LrsClient


@dataclass(frozen=True)
class Kind:
    group: str
    model: type[CredentialMixin]
    audit_type: str
    create_args: list[str]
    #: The key and the secret in what ``create`` prints.
    parse: Callable[[str], tuple[str, str]]
    missing: str


def _words(output: str, key_at: int, secret_at: int) -> tuple[str, str]:
    words = output.split()
    return words[key_at], words[secret_at]


KINDS = [
    Kind(
        "lrs-client",
        LrsClient,
        "lrs_client",
        ["--name", "Provider X", "--scope", "statements/write"],
        lambda out: _words(out, 1, 3),
        "no client has the key nope",
    ),
    Kind(
        "api-token",
        ApiToken,
        "api_token",
        ["--agency", "77001", "--name", "Provider X"],
        lambda out: (out.split()[1].partition(".")[0], out.split()[1]),
        "no token has the prefix nope",
    ),
    Kind(
        "gdx-consumer",
        GdxConsumer,
        "gdx_consumer",
        ["--name", "Provider X"],
        lambda out: _words(out, 1, 3),
        "no GDX consumer has the key nope",
    ),
]


@pytest.mark.parametrize("kind", KINDS, ids=[kind.group for kind in KINDS])
def test_every_kind_is_created_listed_and_revoked_the_same_way(
    app: Flask, make_agency: Callable[..., Agency], kind: Kind
) -> None:
    make_agency("77001")
    runner = app.test_cli_runner()
    created = runner.invoke(args=["academy", kind.group, "create", *kind.create_args])
    assert created.exit_code == 0, created.output
    key, secret = kind.parse(created.output)
    row = find_by_key(kind.model, key)
    assert row is not None and row.name == "Provider X" and row.credential_key == key
    assert verify_credential(row, secret) is row and verify_credential(row, secret + "x") is None
    listed = runner.invoke(args=["academy", kind.group, "list"]).output
    assert f"{key}  active " in listed and secret not in listed

    revoked = runner.invoke(args=["academy", kind.group, "revoke", key])

    assert revoked.exit_code == 0 and revoked.output == f"revoked {key} (Provider X)\n"
    assert f"{key}  revoked" in runner.invoke(args=["academy", kind.group, "list"]).output
    assert not row.is_usable and verify_credential(row, secret) is None
    audit = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor, AuditEntry.target_type).where(AuditEntry.target_id == key)
    ).all()
    assert sorted(audit) == [
        (f"{kind.audit_type}.create", "cli", kind.audit_type),
        (f"{kind.audit_type}.revoke", "cli", kind.audit_type),
    ]
    missing = runner.invoke(args=["academy", kind.group, "revoke", "nope"])
    assert missing.exit_code == 1 and f"Error: {kind.missing}" in missing.output


def test_a_second_revocation_keeps_the_first_time(make_agency: Callable[..., Agency]) -> None:
    token = create_token(make_agency(), "HR", created_by="test").token
    consumer = create_consumer("GDX").consumer
    first, later = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    for row in (token, consumer):
        revoke_credential(row, "k", LookupError, first)
        revoke_credential(row, "k", LookupError, later)
        assert row.revoked_at == first


def test_revoking_nothing_raises_the_kinds_error() -> None:
    with pytest.raises(TokenError, match=r"^no token has the prefix ewa_x$"):
        revoke_credential(None, "ewa_x", lambda key: TokenError(f"no token has the prefix {key}"))


def test_names_are_stripped_and_checked_with_the_kinds_message() -> None:
    messages = {"missing": "a consumer needs a name", "too_long": "a consumer's name has at most 255 characters"}
    assert check_credential_name("  GDX  ", ConsumerError, **messages) == "GDX"
    with pytest.raises(ConsumerError, match=r"^a consumer needs a name$"):
        check_credential_name("   ", ConsumerError, **messages)
    with pytest.raises(ConsumerError, match=r"^a consumer's name has at most 255 characters$"):
        check_credential_name("x" * 256, ConsumerError, **messages)
    # LRS clients never checked the length here (their form does): None keeps it that way.
    assert check_credential_name("x" * 256, ConsumerError, missing="a client needs a name", too_long=None) == "x" * 256


def test_a_refused_name_stores_nothing() -> None:
    with pytest.raises(ConsumerError, match=r"^a consumer's name has at most 255 characters$"):
        create_consumer("x" * 256)
    assert db.session.scalar(select(GdxConsumer)) is None
