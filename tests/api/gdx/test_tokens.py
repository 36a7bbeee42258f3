"""The GDX token flow: validate exchanges Consumer-Key and secret for a Token; tokens lapse when idle."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from academy.audit.models import AuditEntry
from academy.db import db
from api.gdx.models import GdxConsumer, GdxToken
from api.gdx.services.consumers import revoke_consumer
from competencies.models import Framework
from tests.support.gdx import Credentials, validate

METADATA = "/api/v1/gdx/metadata"


def data_call(client: FlaskClient, key: str | None, token: str | None) -> tuple[int, dict[str, object]]:
    headers = {name: value for name, value in (("Consumer-Key", key), ("Token", token)) if value is not None}
    response = client.get(METADATA, headers=headers)
    return response.status_code, response.get_json()


def test_validate_gives_a_token_that_opens_data_calls(
    client: FlaskClient, consumer: Credentials, standard: Framework
) -> None:
    response = client.get(
        "/api/v1/gdx/auth/validate",
        query_string={"AgentID": "1234567890123"},
        headers={"Consumer-Key": consumer.key, "Consumer-Secret": consumer.secret},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_after_idle_seconds"] == 3600 and response.headers["Cache-Control"] == "no-store"
    status, metadata = data_call(client, consumer.key, body["Result"])
    assert status == 200 and metadata["id"] == "academy-digital-skill-coverage"


def test_the_secret_may_come_as_a_header_or_in_a_posted_body(client: FlaskClient, consumer: Credentials) -> None:
    url = "/api/v1/gdx/auth/validate"
    by_header = client.post(url, headers={"Consumer-Key": consumer.key, "Consumer-Secret": consumer.secret})
    by_json = client.post(url, headers={"Consumer-Key": consumer.key}, json={"ConsumerSecret": consumer.secret})
    by_form = client.post(url, headers={"Consumer-Key": consumer.key}, data={"ConsumerSecret": consumer.secret})
    assert [r.status_code for r in (by_header, by_json, by_form)] == [200, 200, 200]
    assert len({r.get_json()["Result"] for r in (by_header, by_json, by_form)}) == 3


@pytest.mark.parametrize("name", ["ConsumerSecret", "consumersecret"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_secret_in_the_query_string_is_refused_unchecked_and_the_answer_names_the_header(
    client: FlaskClient, consumer: Credentials, name: str, method: str
) -> None:
    tokens_before = db.session.scalar(select(func.count()).select_from(GdxToken))
    answers = [
        client.open(
            "/api/v1/gdx/auth/validate",
            method=method,
            query_string={name: secret},
            headers={"Consumer-Key": consumer.key, **extra},
        )
        # The right secret, a wrong one, and the right one also sent properly: all refused alike.
        for secret, extra in (
            (consumer.secret, {}),
            ("guess", {}),
            (consumer.secret, {"Consumer-Secret": consumer.secret}),
        )
    ]
    for response in answers:
        body = response.get_json()
        assert (response.status_code, body["error"], body["field"]) == (400, "secret_in_url", "ConsumerSecret")
        assert "Consumer-Secret header" in body["message"] and consumer.secret not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(GdxToken)) == tokens_before


def test_no_log_record_and_no_sql_parameter_carries_the_secret_or_the_token(
    client: FlaskClient, consumer: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    parameters: list[str] = []

    def note(connection: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        parameters.append(repr(params))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        url = "/api/v1/gdx/auth/validate"
        token = validate(client, consumer)
        client.post(url, headers={"Consumer-Key": consumer.key}, data={"ConsumerSecret": consumer.secret})
        client.get(url, query_string={"ConsumerSecret": consumer.secret}, headers={"Consumer-Key": consumer.key})
        client.get(url, headers={"Consumer-Key": consumer.key, "Consumer-Secret": consumer.secret + "x"})
        client.get(METADATA, headers={"Consumer-Key": consumer.key, "Token": token})
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    seen = "\n".join(parameters + [f"{record.getMessage()} {record.args}" for record in caplog.records])
    assert hashlib.sha256(token.encode()).hexdigest() in seen  # what the calls did is in what was searched
    assert consumer.secret not in seen and token not in seen


def test_validate_refuses_with_clear_json_errors(client: FlaskClient, consumer: Credentials) -> None:
    url = "/api/v1/gdx/auth/validate"
    wrong = client.get(url, headers={"Consumer-Key": consumer.key, "Consumer-Secret": "guess"})
    no_secret = client.get(url, headers={"Consumer-Key": consumer.key})
    no_key = client.get(url, headers={"Consumer-Secret": consumer.secret})
    unknown = client.get(url, headers={"Consumer-Key": "nobody", "Consumer-Secret": consumer.secret})
    assert (wrong.status_code, wrong.get_json()["error"]) == (401, "invalid_consumer")
    assert (no_secret.status_code, no_secret.get_json()["error"]) == (400, "missing_consumer_secret")
    assert (no_key.status_code, no_key.get_json()["error"]) == (401, "missing_consumer_key")
    assert (unknown.status_code, unknown.get_json()["error"]) == (401, "invalid_consumer")
    assert "message" in wrong.get_json() and wrong.mimetype == "application/json"


def test_data_calls_need_both_headers_and_a_matching_token(client: FlaskClient, consumer: Credentials) -> None:
    from api.gdx.services.consumers import create_consumer

    token = validate(client, consumer)
    status, body = data_call(client, None, token)
    assert (status, body["error"]) == (401, "missing_consumer_key")
    assert data_call(client, consumer.key, None)[1]["error"] == "missing_token"
    status, body = data_call(client, consumer.key, "not-a-token")
    assert (status, body["error"]) == (401, "invalid_token")
    stranger = create_consumer("Someone else").consumer.key
    status, body = data_call(client, stranger, token)  # a token is good only with its own key
    assert (status, body["error"]) == (401, "invalid_token")


def test_a_token_expires_after_60_idle_minutes_and_use_keeps_it_alive(
    client: FlaskClient, consumer: Credentials, standard: Framework
) -> None:
    token = validate(client, consumer)
    row = db.session.scalar(select(GdxToken).where(GdxToken.token_hash == hashlib.sha256(token.encode()).hexdigest()))
    assert row is not None
    row.last_used_at = datetime.now(UTC) - timedelta(minutes=59)
    db.session.commit()
    assert data_call(client, consumer.key, token)[0] == 200
    db.session.refresh(row)
    assert datetime.now(UTC) - row.last_used_at < timedelta(minutes=1)  # the call renewed it

    row.last_used_at = datetime.now(UTC) - timedelta(minutes=61)
    db.session.commit()
    status, body = data_call(client, consumer.key, token)
    assert (status, body["error"]) == (401, "expired_token")
    fresh = validate(client, consumer)  # validating again is the way back
    assert data_call(client, consumer.key, fresh)[0] == 200


def test_a_revoked_consumer_can_neither_call_nor_validate(
    client: FlaskClient, consumer: Credentials, standard: Framework
) -> None:
    token = validate(client, consumer)
    assert data_call(client, consumer.key, token)[0] == 200
    revoke_consumer(consumer.key)
    db.session.commit()
    status, body = data_call(client, consumer.key, token)
    assert (status, body["error"]) == (401, "invalid_token")
    again = client.get(
        "/api/v1/gdx/auth/validate", headers={"Consumer-Key": consumer.key, "Consumer-Secret": consumer.secret}
    )
    assert (again.status_code, again.get_json()["error"]) == (401, "invalid_consumer")


def test_secrets_and_tokens_are_stored_only_as_hashes(client: FlaskClient, consumer: Credentials) -> None:
    token = validate(client, consumer)
    stored = db.session.scalar(select(GdxConsumer).where(GdxConsumer.key == consumer.key))
    assert stored is not None and stored.secret_hash == hashlib.sha256(consumer.secret.encode()).hexdigest()
    hashes = db.session.scalars(select(GdxToken.token_hash)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in hashes


def test_the_cli_creates_lists_and_revokes_consumers_with_an_audit_trail(app: Flask) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["academy", "gdx-consumer", "create", "--name", "GDX (DGA)"])
    assert created.exit_code == 0, created.output
    key = created.output.split()[1]
    secret = created.output.split()[3]
    consumer = db.session.scalar(select(GdxConsumer).where(GdxConsumer.key == key))
    assert consumer is not None and consumer.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    listed = runner.invoke(args=["academy", "gdx-consumer", "list"])
    assert key in listed.output and "GDX (DGA)" in listed.output and secret not in listed.output
    revoked = runner.invoke(args=["academy", "gdx-consumer", "revoke", key])
    assert revoked.exit_code == 0 and "revoked" in runner.invoke(args=["academy", "gdx-consumer", "list"]).output
    missing = runner.invoke(args=["academy", "gdx-consumer", "revoke", "nope"])
    assert missing.exit_code != 0 and "no GDX consumer has the key nope" in missing.output
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == key)).all()
    assert sorted(actions) == ["gdx_consumer.create", "gdx_consumer.revoke"]
