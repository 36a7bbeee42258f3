"""API tokens: who may call, how tokens are made and revoked, and the audit trail."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from api.rest.models import ApiToken
from api.rest.tokens import authenticate_bearer, create_token, note_use, revoke_token
from tests.support.app import csrf_token
from tests.support.rest import Api, Tree, bearer


def test_without_a_token_the_api_answers_401_with_a_bearer_challenge(api: Api) -> None:
    response = api("GET", "/api/v1/agencies", token=None)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["code"] == 401 and "Authorization: Bearer" in body["message"]


def test_unknown_malformed_and_tampered_tokens_answer_401(api: Api, token_a: str) -> None:
    prefix, _dot, secret = token_a.partition(".")
    for token in ("nonsense", "ewa_0123456789ab.whatever", f"{prefix}.{secret[:-1]}x", prefix, f"{prefix}.\x00"):
        response = api("GET", "/api/v1/agencies", token=token)
        assert response.status_code == 401, token
        assert "revoked" in response.get_json()["message"]
    basic = api("GET", "/api/v1/agencies", token=None, headers={"Authorization": f"Basic {token_a}"})
    assert basic.status_code == 401


def test_a_revoked_token_stops_working_at_once(api: Api, token_a: str) -> None:
    assert api("GET", "/api/v1/agencies").status_code == 200
    revoke_token(token_a.partition(".")[0])
    assert api("GET", "/api/v1/agencies").status_code == 401


def test_only_a_hash_is_stored_and_the_prefix_finds_the_token(tree: Tree) -> None:
    new = create_token(tree.department_a, "DPIS", created_by="test")
    assert re.fullmatch(r"ewa_[0-9a-f]{12}\.[A-Za-z0-9_-]{43}", new.secret)
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == new.token.id))
    assert stored is not None and new.secret not in (stored.token_hash, stored.prefix)
    assert stored.prefix == new.secret.partition(".")[0]
    assert authenticate_bearer(f"Bearer {new.secret}") is stored
    assert authenticate_bearer(f"bearer   {new.secret}  ") is stored


def test_last_use_is_recorded_at_most_once_a_minute(api: Api, token_a: str) -> None:
    token = authenticate_bearer(f"Bearer {token_a}")
    assert token is not None and token.last_used_at is None
    api("GET", "/api/v1/agencies")
    db.session.refresh(token)
    first = token.last_used_at
    assert first is not None
    assert note_use(token, first + timedelta(seconds=30)) is False
    assert note_use(token, first + timedelta(minutes=2)) is True


def test_an_admin_session_may_read_but_not_write(
    client: FlaskClient, tree: Tree, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    login(make_user(Role.ADMIN))
    response = client.get("/api/v1/agencies", query_string={"page_size": 100})
    assert response.status_code == 200
    assert {"11", "22"} <= {agency["code"] for agency in response.get_json()}
    write = client.post("/api/v1/people/bulk", json={"people": []})
    assert write.status_code == 401


def test_other_signed_in_users_cannot_use_their_session(
    client: FlaskClient, tree: Tree, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    login(make_user(Role.HR_OFFICER, agencies=(tree.department_a,)))
    assert client.get("/api/v1/agencies").status_code == 401


def test_admins_create_a_token_on_the_page_see_it_once_and_revoke_it(
    client: FlaskClient,
    tree: Tree,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    admin = make_user(Role.ADMIN)
    login(admin)
    page = client.post(
        "/admin/api-tokens",
        data={"agency_code": "11001", "name": "DPIS of DDS", "csrf_token": csrf_token(client, "/admin/api-tokens")},
    )
    assert page.status_code == 200
    match = re.search(r"<code>(ewa_[0-9a-f]{12}\.[^<]+)</code>", page.get_data(as_text=True))
    assert match, "the new token is shown"
    secret = match.group(1)
    assert client.get("/api/v1/people", headers=bearer(secret)).status_code == 200
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert secret not in listing and secret.partition(".")[0] in listing  # shown once; the prefix stays

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    assert entry is not None and entry.actor == admin.email and entry.details["agency"] == "11001"
    assert secret not in str(entry.details)

    prefix = secret.partition(".")[0]
    revoked = client.post(
        f"/admin/api-tokens/{prefix}/revoke", data={"csrf_token": csrf_token(client, "/admin/api-tokens")}
    )
    assert revoked.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/api/v1/people", headers=bearer(secret)).status_code == 401
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.revoke")) is not None


def test_the_token_page_refuses_unknown_agencies_and_non_admins(
    client: FlaskClient,
    tree: Tree,
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
) -> None:
    login(make_user(Role.ADMIN))
    page = client.post(
        "/admin/api-tokens",
        data={"agency_code": "99999", "name": "x", "csrf_token": csrf_token(client, "/admin/api-tokens")},
    )
    assert page.status_code == 400 and db.session.scalar(select(ApiToken)) is None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user(Role.HR_OFFICER, agencies=(tree.department_a,)))
    assert client.get("/admin/api-tokens").status_code == 403


def test_the_cli_creates_lists_and_revokes_tokens(app: Flask, tree: Tree) -> None:
    runner = app.test_cli_runner()
    created = runner.invoke(args=["academy", "api-token", "create", "--agency", "11001", "--name", "DPIS"])
    assert created.exit_code == 0, created.output
    secret = re.search(r"token\s+(\S+)", created.output)
    assert secret is not None
    prefix = secret.group(1).partition(".")[0]
    listed = runner.invoke(args=["academy", "api-token", "list"])
    assert prefix in listed.output and "active" in listed.output
    assert secret.group(1) not in listed.output
    revoked = runner.invoke(args=["academy", "api-token", "revoke", prefix])
    assert revoked.exit_code == 0 and authenticate_bearer(f"Bearer {secret.group(1)}") is None
    unknown = runner.invoke(args=["academy", "api-token", "create", "--agency", "99999", "--name", "x"])
    assert unknown.exit_code != 0 and "no agency has the code 99999" in unknown.output
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "cli")))
    assert {"api_token.create", "api_token.revoke"} <= actions


def test_tokens_record_who_created_them(tree: Tree) -> None:
    new = create_token(tree.department_a, "  HR system  ", created_by="admin@example.go.th")
    assert new.token.name == "HR system" and new.token.created_by == "admin@example.go.th"
    db.session.refresh(new.token)
    assert new.token.created_at is not None and new.token.created_at <= datetime.now(UTC) + timedelta(seconds=5)
