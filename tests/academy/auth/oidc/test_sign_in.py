"""OpenID Connect sign-in against a real OpenID Provider (node-oidc-provider on loopback):
the code flow with PKCE, state and nonce; accounts made just in time; every refusal on its own page,
with nothing stored; RP-initiated logout; the provider's second factor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User, UserSession
from academy.auth.oidc.models import OidcIdentity
from academy.db import db
from academy.org.identity import subject_hash
from academy.org.models import Person, PersonStatus
from tests.academy.auth.oidc.conftest import KNOWN, OFFICER, RETIRED, stored_counts
from tests.support.app import BASE_URL, csrf_token
from tests.support.oidc import API_KEY, Browser, RunningProvider, provider_settings, query_of
from tests.support.second_factor import sign_in

pytestmark = pytest.mark.usefixtures("thaid_configured")


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_the_authorization_request_uses_pkce_state_and_nonce(browser: Browser, thaid: RunningProvider) -> None:
    url = browser.start("/login/oidc/thaid")
    assert url.startswith(f"{thaid.issuer}/auth?")
    query = query_of(url)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [f"{BASE_URL}/login/oidc/thaid/callback"]
    assert query["scope"] == ["openid pid given_name family_name"]


def test_first_sign_in_makes_a_learner_account_later_ones_reuse_it(
    app: Flask, browser: Browser, thaid: RunningProvider, person_with_id: Callable[..., Person]
) -> None:
    person = person_with_id(KNOWN, first_name_th="สมชาย", last_name_th="ใจดี", email="somchai@example.go.th")
    response = browser.sign_in("thaid", "somchai", "pw-somchai")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    assert user is not None and user.roles == {Role.LEARNER} and user.email == "somchai@example.go.th"
    assert user.display_name == person.full_name_th
    [identity] = db.session.scalars(select(OidcIdentity)).all()
    assert identity.user_id == user.id and identity.provider == "thaid"
    assert identity.subject_hash == subject_hash("thaid", "somchai")  # only the keyed hash of the subject
    [login] = audit("auth.login")
    assert login.details | {"session": 0} == {
        "method": "oidc",
        "provider": "thaid",
        "outcome": "success",
        "created": True,
        "second_factor": False,
        "session": 0,
    }
    home = browser.client.get("/")
    assert home.status_code == 200 and "สมชาย" in home.get_data(as_text=True)

    # Sign-out ends the provider's session too (RP-initiated logout), with the id_token as a hint.
    out = browser.client.post("/logout", data={"csrf_token": csrf_token(browser.client, "/")})
    assert out.status_code == 302
    end_session = out.headers["Location"]
    assert end_session.startswith(f"{thaid.issuer}/session/end?")
    query = query_of(end_session)
    assert query["post_logout_redirect_uri"] == [f"{BASE_URL}/login"] and query["id_token_hint"][0].count(".") == 2
    assert browser.client.get("/").status_code == 302  # signed out here

    again = Browser(client=app.test_client(), base_url=BASE_URL)
    assert again.sign_in("thaid", "somchai", "pw-somchai").status_code == 302
    assert stored_counts()[:2] == (1, 1)
    assert audit("auth.login")[-1].details["created"] is False


@dataclass
class RecordedSql:
    statements: list[str] = field(default_factory=list)
    commits: int = 0

    def inserted(self) -> set[str]:
        return {statement.split()[2] for statement in self.statements if statement.startswith("INSERT INTO")}


@contextmanager
def recorded_sql() -> Iterator[RecordedSql]:
    """The SQL statements (savepoints and transaction control left out) and the session commits meanwhile."""
    recorded = RecordedSql()

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        if not text.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            recorded.statements.append(" ".join(text.split()))

    def commit(_session: Session) -> None:
        recorded.commits += 1

    event.listen(db.engine, "before_cursor_execute", statement)
    event.listen(Session, "after_commit", commit)
    try:
        yield recorded
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
        event.remove(Session, "after_commit", commit)


def test_a_sign_in_is_one_transaction_that_writes_the_session_row_once(
    app: Flask, person_with_id: Callable[..., Person]
) -> None:
    """The account, identity, session row (with its data) and audit entries: one commit, no write after it."""
    person = person_with_id(KNOWN, email="somchai@example.go.th")
    for first in (True, False):
        browser = Browser(client=app.test_client(), base_url=BASE_URL)
        authorize = browser.start("/login/oidc/thaid")
        with recorded_sql() as sql:
            response = browser.follow_provider(authorize, login="somchai", password="pw-somchai")
        assert response.status_code == 302 and response.headers["Location"] == "/"
        assert sql.commits == 1, sql.statements
        assert not [text for text in sql.statements if text.startswith("UPDATE user_sessions")]
        # Neither roles nor HR scopes are read at sign-in (the next request loads them).
        assert not [text for text in sql.statements if " FROM user_roles" in text or " FROM hr_scopes" in text]
        made = {"users", "user_roles", "oidc_identities"} if first else set()
        assert sql.inserted() == made | {"user_sessions", "audit_entries"}
        assert len(sql.statements) <= (9 if first else 6), sql.statements
        user = db.session.scalar(select(User).where(User.person_id == person.id))
        assert user is not None and user.roles == {Role.LEARNER} and user.last_login_at is not None
        row = db.session.scalars(select(UserSession).order_by(UserSession.id.desc())).first()
        assert row is not None and row.user_id == user.id and '"oidc_signed_in"' in row.data
        assert '"_remember"' not in row.data  # Flask-Login's order for this response only
        assert browser.client.get("/").status_code == 200  # the session row signs the next request in
    [identity] = db.session.scalars(select(OidcIdentity)).all()
    assert identity.last_used_at is not None
    assert [entry.details["created"] for entry in audit("auth.login")] == [True, False]
    assert len(audit("user.create")) == 1


def test_an_unknown_citizen_id_gets_a_page_that_names_what_to_do(browser: Browser) -> None:
    before = stored_counts()
    response = browser.sign_in("thaid", "stranger", "pw")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'data-oidc-failure="unknown_person"' in page
    assert "HR" in page  # ask the HR officer of your agency
    assert stored_counts() == before
    assert audit("auth.login_failed")[-1].details == {
        "method": "oidc",
        "provider": "thaid",
        "outcome": "unknown_person",
    }


def test_an_inactive_person_is_refused(browser: Browser, person_with_id: Callable[..., Person]) -> None:
    person_with_id(RETIRED, status=PersonStatus.INACTIVE)
    before = stored_counts()
    response = browser.sign_in("thaid", "retired", "pw")
    assert response.status_code == 403 and 'data-oidc-failure="inactive_person"' in response.get_data(as_text=True)
    assert stored_counts() == before


def test_no_citizen_id_in_the_answer_is_refused(browser: Browser) -> None:
    response = browser.sign_in("thaid", "nopid", "pw")
    assert response.status_code == 403 and 'data-oidc-failure="no_citizen_id"' in response.get_data(as_text=True)


def test_cancelling_at_the_provider(browser: Browser) -> None:
    before = stored_counts()
    response = browser.follow_provider(browser.start("/login/oidc/thaid"), cancel=True)
    assert "error=access_denied" in browser.callback
    assert response.status_code == 400 and 'data-oidc-failure="cancelled"' in response.get_data(as_text=True)
    assert stored_counts() == before
    assert audit("auth.login_failed")[-1].details["outcome"] == "cancelled"


def test_a_replayed_state_is_refused(app: Flask, browser: Browser, person_with_id: Callable[..., Person]) -> None:
    person_with_id(KNOWN)
    assert browser.sign_in("thaid", "somchai", "pw-somchai").status_code == 302
    before = stored_counts()
    # The same callback URL again, from another browser (a stolen URL) and from the same one.
    thief = Browser(client=app.test_client(), base_url=BASE_URL, callback=browser.callback)
    for replay in (thief, browser):
        response = replay.replay_callback()
        assert response.status_code == 400 and 'data-oidc-failure="state"' in response.get_data(as_text=True)
    assert stored_counts() == before


def test_a_wrong_nonce_is_refused(browser: Browser, person_with_id: Callable[..., Person]) -> None:
    person_with_id(KNOWN)
    url = browser.start("/login/oidc/thaid")
    state = query_of(url)["state"][0]
    with browser.client.session_transaction() as session:
        key = f"_state_thaid_{state}"
        entry = session[key]
        entry["data"]["nonce"] = "not-the-nonce-the-provider-saw"
        session[key] = entry
    before = stored_counts()
    response = browser.follow_provider(url, login="somchai", password="pw-somchai")
    assert response.status_code == 400 and 'data-oidc-failure="nonce"' in response.get_data(as_text=True)
    assert stored_counts() == before


def test_a_wrong_api_key_header_is_the_providers_refusal(
    browser: Browser, thaid: RunningProvider, use_providers: Callable[..., None], person_with_id: Callable[..., Person]
) -> None:
    person_with_id(KNOWN)
    use_providers(provider_settings(thaid.issuer, token_headers=(("x-imauth-apikey", "wrong"),)))
    before = stored_counts()
    response = browser.sign_in("thaid", "somchai", "pw-somchai")
    assert response.status_code == 502 and 'data-oidc-failure="provider_error"' in response.get_data(as_text=True)
    assert stored_counts() == before


def test_a_provider_that_does_not_answer(browser: Browser, use_providers: Callable[..., None]) -> None:
    from werkzeug.serving import make_server

    reserve = make_server("127.0.0.1", 0, Flask("closed"))
    port = reserve.server_port
    reserve.server_close()  # nothing listens there now
    use_providers(provider_settings(f"http://127.0.0.1:{port}", timeout=2.0))
    before = stored_counts()
    response = browser.client.get("/login/oidc/thaid")
    assert response.status_code == 502 and 'data-oidc-failure="provider_down"' in response.get_data(as_text=True)
    assert stored_counts() == before


def test_the_providers_second_factor_is_recorded_for_the_mfa_check(
    browser: Browser, person_with_id: Callable[..., Person]
) -> None:
    person = person_with_id(OFFICER)
    assert browser.sign_in("thaid", "officer", "pw").status_code == 302
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    assert user is not None
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row is not None and "provider:thaid" in row.data
    assert audit("auth.login")[-1].details["second_factor"] is True


def test_without_mfa_values_configured_no_second_factor_is_claimed(
    browser: Browser, thaid: RunningProvider, use_providers: Callable[..., None], person_with_id: Callable[..., Person]
) -> None:
    person_with_id(OFFICER)
    use_providers(provider_settings(thaid.issuer, token_headers=(("x-imauth-apikey", API_KEY),)))
    assert browser.sign_in("thaid", "officer", "pw").status_code == 302
    assert all("second_factor" not in (row.data or "") for row in db.session.scalars(select(UserSession)))


def test_an_unknown_provider_is_404(browser: Browser) -> None:
    assert browser.client.get("/login/oidc/nosuch").status_code == 404
    assert browser.client.get("/login/oidc/nosuch/callback?code=x&state=y").status_code == 404


def test_the_login_page_shows_a_button_per_provider(app: Flask, use_providers: Callable[..., None]) -> None:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "เข้าสู่ระบบด้วย ThaID" in page and "/login/oidc/thaid" in page
    client.get("/lang/en")
    assert "Sign in with ThaID" in client.get("/login").get_data(as_text=True)
    use_providers()
    assert "/login/oidc/" not in client.get("/login").get_data(as_text=True)


def test_a_password_user_links_thaid_and_an_admin_unlinks_it(
    app: Flask,
    browser: Browser,
    login: Callable[..., Any],
    make_user: Callable[..., User],
    person_with_id: Callable[..., Person],
) -> None:
    person = person_with_id(KNOWN)
    contractor = make_user(email="contractor@example.com")
    client = login(contractor)
    browser.client = client
    response = client.post(
        "/account/identities/thaid/link", data={"csrf_token": csrf_token(client, "/account/identities")}
    )
    assert response.status_code == 302
    back = browser.follow_provider(response.headers["Location"], login="somchai", password="pw-somchai")
    assert back.status_code == 302 and back.headers["Location"] == "/account/identities"
    [identity] = db.session.scalars(select(OidcIdentity)).all()
    assert identity.user_id == contractor.id
    db.session.refresh(contractor)
    assert contractor.person_id == person.id  # the account now follows the HR record
    assert audit("auth.identity_link")[-1].target_id == str(contractor.id)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    # Now ThaID signs the same account in, no new one.
    fresh = Browser(client=app.test_client(), base_url=BASE_URL)
    assert fresh.sign_in("thaid", "somchai", "pw-somchai").status_code == 302
    assert stored_counts()[:2] == (1, 1)

    admin = make_user(Role.ADMIN, email="admin@example.go.th")
    admin_client = sign_in(app.test_client(), admin)  # with the second factor, as admins do
    page = admin_client.get(f"/admin/users/{contractor.id}").get_data(as_text=True)
    assert f"/admin/users/{contractor.id}/identities/{identity.id}/unlink" in page
    token = csrf_token(admin_client, f"/admin/users/{contractor.id}")
    assert (
        admin_client.post(
            f"/admin/users/{contractor.id + 1000}/identities/{identity.id}/unlink", data={"csrf_token": token}
        ).status_code
        == 404
    )
    unlinked = admin_client.post(
        f"/admin/users/{contractor.id}/identities/{identity.id}/unlink", data={"csrf_token": token}
    )
    assert unlinked.status_code == 302
    assert db.session.scalars(select(OidcIdentity)).all() == []
    assert audit("auth.identity_unlink")[-1].details["provider"] == "thaid"
    # A learner may not unlink.
    learner = Browser(client=app.test_client(), base_url=BASE_URL)
    assert learner.client.post(f"/admin/users/{contractor.id}/identities/1/unlink").status_code in {302, 400, 403, 404}


def test_dga_digital_id_signs_in_by_its_citizen_id_claim(
    browser: Browser,
    thaid: RunningProvider,
    digitalid: RunningProvider,
    use_providers: Callable[..., None],
    person_with_id: Callable[..., Person],
) -> None:
    person = person_with_id(KNOWN)
    use_providers(
        provider_settings(thaid.issuer, token_headers=(("x-imauth-apikey", API_KEY),)),
        provider_settings(
            digitalid.issuer,
            name="digitalid",
            scopes=("openid", "citizen_id", "given_name", "family_name"),
            id_claim="citizen_id",
            label_th="DGA Digital ID",
            label_en="DGA Digital ID",
        ),
    )
    assert "เข้าสู่ระบบด้วย DGA Digital ID" in browser.client.get("/login").get_data(as_text=True)
    assert browser.sign_in("digitalid", "somchai", "pw-dga").status_code == 302
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    assert user is not None
    [identity] = db.session.scalars(select(OidcIdentity)).all()
    assert (identity.user_id, identity.provider) == (user.id, "digitalid")
    # The same person with ThaID later: the same account, a second identity.
    again = Browser(client=browser.client.application.test_client(), base_url=BASE_URL)
    assert again.sign_in("thaid", "somchai", "pw-somchai").status_code == 302
    assert stored_counts()[:2] == (1, 2)
