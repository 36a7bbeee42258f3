"""Server-side sessions: sign-out, password and role changes, "end all", remember-me, CSRF, idle timeout."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User, UserSession
from academy.extensions import db
from academy.org.models import Agency
from tests.support.app import PASSWORD, csrf_token
from tests.support.second_factor import sign_in_fully

SESSION_COOKIE = "session"
REMEMBER_COOKIE = "academy_remember"

Login = Callable[..., FlaskClient]


@pytest.fixture
def sign_in(app: Flask) -> Login:
    """Sign a user in on a new client (a browser of its own)."""

    def do_sign_in(user: User, *, remember: bool = False, address: str = "127.0.0.1") -> FlaskClient:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address  # every request of this browser comes from there
        data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
        if remember:
            data["remember"] = "y"
        response = client.post("/login", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        sign_in_fully(client, user)
        return client

    return do_sign_in


def cookie(client: FlaskClient, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found is not None else None


def browser_with(app: Flask, **cookies: str) -> FlaskClient:
    """A new client holding only the given cookies (copied, say, from someone else's browser)."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def signed_in(client: FlaskClient) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_cookie_carries_only_a_random_token(make_user: Callable[..., User], sign_in: Login) -> None:
    user = make_user()
    client = sign_in(user, address="192.0.2.10")
    token = cookie(client, SESSION_COOKIE)
    assert token is not None and "." not in token and len(token) == 43  # 256 random bits, nothing else
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row is not None and row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.ip_address == "192.0.2.10" and row.revoked_at is None and "_user_id" in row.data


def test_an_anonymous_visitor_gets_no_session_row(client: FlaskClient) -> None:
    client.get("/login")
    client.get("/lang/en")
    assert cookie(client, SESSION_COOKIE) is not None  # the CSRF token and the language, signed
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_copied_cookie_is_refused_after_sign_out(app: Flask, make_user: Callable[..., User], sign_in: Login) -> None:
    client = sign_in(make_user())
    token = cookie(client, SESSION_COOKIE)
    assert token is not None
    thief = browser_with(app, session=token)
    assert signed_in(thief)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert audit_actions()[-1] == "auth.logout"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"password": "a-brand-new-password"}, "password_changed"),
        ({"roles": ["learner", "admin"]}, "roles_changed"),
        ({"active": ""}, "deactivated"),
    ],
)
def test_an_admin_changing_password_roles_or_status_ends_the_users_sessions(
    change: dict[str, object], reason: str, make_user: Callable[..., User], sign_in: Login
) -> None:
    user = make_user(Role.LEARNER)
    phone, laptop = sign_in(user), sign_in(user, remember=True)
    admin = sign_in(make_user(Role.ADMIN))
    page = f"/admin/users/{user.id}"
    form = {"email": user.email, "roles": ["learner"], "active": "y", "csrf_token": csrf_token(admin, page)}
    form.update(change)
    response = admin.post(page, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not signed_in(phone) and not signed_in(laptop)
    remembered = laptop.get_cookie(REMEMBER_COOKIE)
    assert remembered is None or not signed_in(browser_with(admin.application, academy_remember=remembered.value))
    assert signed_in(admin)
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert {row.revoked_reason for row in rows} == {reason}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.sessions_end_all"))
    assert entry is not None and entry.details == {"reason": reason, "ended": 2}


def test_an_edit_that_changes_nothing_of_access_keeps_the_sessions(
    make_user: Callable[..., User], sign_in: Login
) -> None:
    user = make_user(Role.LEARNER)
    phone = sign_in(user)
    admin = sign_in(make_user(Role.ADMIN))
    page = f"/admin/users/{user.id}"
    form = {"email": user.email, "display_name": "New name", "roles": ["learner"], "active": "y"}
    response = admin.post(page, data={**form, "csrf_token": csrf_token(admin, page)})
    assert response.status_code == 302
    assert signed_in(phone)


def test_an_admin_changing_their_own_password_keeps_only_this_session(
    make_user: Callable[..., User], sign_in: Login
) -> None:
    admin = make_user(Role.ADMIN)
    here, elsewhere = sign_in(admin), sign_in(admin)
    page = f"/admin/users/{admin.id}"
    form = {"email": admin.email, "roles": ["admin"], "active": "y", "password": "another-long-password"}
    assert here.post(page, data={**form, "csrf_token": csrf_token(here, page)}).status_code == 302
    assert signed_in(here) and not signed_in(elsewhere)


def test_an_admin_ends_all_of_a_users_sessions(make_user: Callable[..., User], sign_in: Login) -> None:
    user = make_user()
    phone = sign_in(user)
    admin = sign_in(make_user(Role.ADMIN))
    page = f"/admin/users/{user.id}"
    response = admin.post(f"{page}/end-sessions", data={"csrf_token": csrf_token(admin, page)})
    assert response.status_code == 302
    assert not signed_in(phone)
    learner = sign_in(make_user())
    response = learner.post(f"{page}/end-sessions", data={"csrf_token": csrf_token(learner, "/")})
    assert response.status_code == 403


def test_end_all_sessions_ends_every_one_and_is_audited(make_user: Callable[..., User], sign_in: Login) -> None:
    user = make_user()
    phone, laptop = sign_in(user), sign_in(user, remember=True)
    other = sign_in(make_user())
    response = phone.post("/account/sessions/end-all", data={"csrf_token": csrf_token(phone, "/account/sessions")})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not signed_in(phone) and not signed_in(laptop)
    assert signed_in(other)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.sessions_end_all"))
    assert entry is not None and entry.user_id == user.id and entry.details == {"ended": 2}


def test_the_sessions_page_lists_devices_and_ends_one(
    app: Flask, make_user: Callable[..., User], sign_in: Login
) -> None:
    user = make_user()
    phone = sign_in(user, address="198.51.100.7")
    laptop = app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    )
    laptop.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(laptop, "/login")}
    assert laptop.post("/login", data=data).status_code == 302

    response = phone.get("/account/sessions")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "198.51.100.7" in page and "203.0.113.9" in page and "Firefox, Windows" in page
    assert "อุปกรณ์ที่เข้าสู่ระบบอยู่" in page and "ยุติการเข้าใช้งานนี้" in page  # Thai by default
    laptop_row = db.session.scalar(select(UserSession).where(UserSession.ip_address == "203.0.113.9"))
    assert laptop_row is not None
    token = csrf_token(phone, "/account/sessions")
    response = phone.post(f"/account/sessions/{laptop_row.id}/end", data={"csrf_token": token})
    assert response.status_code == 302
    assert not signed_in(laptop) and signed_in(phone)
    assert "auth.session_end" in audit_actions()

    # Another user's session is not yours to end, nor to know of.
    stranger = sign_in(make_user())
    phone_row = db.session.scalar(select(UserSession).where(UserSession.ip_address == "198.51.100.7"))
    assert phone_row is not None
    token = csrf_token(stranger, "/")
    assert stranger.post(f"/account/sessions/{phone_row.id}/end", data={"csrf_token": token}).status_code == 404
    assert signed_in(phone)


def test_remember_me_rotates_on_use_and_the_old_token_is_refused(
    app: Flask, make_user: Callable[..., User], sign_in: Login
) -> None:
    user = make_user()
    first_browser = sign_in(user, remember=True)
    first = cookie(first_browser, REMEMBER_COOKIE)
    assert first is not None and "." not in first and len(first) == 43
    other = sign_in(user, remember=True)
    assert cookie(other, REMEMBER_COOKIE) != first  # a secret per login, not per user

    # The browser was closed: only the remember-me cookie is left.
    reopened = browser_with(app, academy_remember=first)
    assert signed_in(reopened)
    second = cookie(reopened, REMEMBER_COOKIE)
    assert second is not None and second != first
    assert cookie(reopened, SESSION_COOKIE) not in (None, cookie(first_browser, SESSION_COOKIE))
    assert signed_in(reopened)  # the new session cookie works

    replayed = browser_with(app, academy_remember=first)
    assert not signed_in(replayed)
    assert signed_in(browser_with(app, academy_remember=second))


def test_remember_me_ends_with_sign_out(app: Flask, make_user: Callable[..., User], sign_in: Login) -> None:
    client = sign_in(make_user(), remember=True)
    remembered = cookie(client, REMEMBER_COOKIE)
    assert remembered is not None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert cookie(client, REMEMBER_COOKIE) is None
    assert not signed_in(browser_with(app, academy_remember=remembered))


def test_a_cookie_signed_with_the_key_does_not_sign_anyone_in(app: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    serializer = app.session_interface.signed.get_signing_serializer(app)  # type: ignore[attr-defined]
    with app.test_request_context():
        forged_session = serializer.dumps({"_user_id": str(admin.id), "_fresh": True})
        forged_remember = encode_cookie(str(admin.id))  # Flask-Login's own remember-me format
    assert not signed_in(browser_with(app, session=forged_session))
    assert not signed_in(browser_with(app, academy_remember=forged_remember, remember_token=forged_remember))


def test_the_csrf_token_changes_at_sign_in(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    before = csrf_token(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302
    # The login page's token (which someone else may have planted) no longer passes.
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert signed_in(client)
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302


def test_the_csrf_token_expires(
    app: Flask, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User], sign_in: Login
) -> None:
    assert app.config["WTF_CSRF_TIME_LIMIT"] == 7200
    client = sign_in(make_user())
    token = csrf_token(client, "/")
    issued = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: issued(self) + 7201)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", issued)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


@pytest.mark.parametrize(("role", "ends"), [(Role.ADMIN, True), (Role.HR_OFFICER, True), (Role.LEARNER, False)])
def test_privileged_roles_time_out_after_30_idle_minutes(
    role: Role, ends: bool, make_user: Callable[..., User], make_agency: Callable[..., Agency], sign_in: Login
) -> None:
    user = make_user(role, agencies=(make_agency(),) if role is Role.HR_OFFICER else ())
    client = sign_in(user)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row is not None
    row.last_seen_at = datetime.now(UTC) - timedelta(minutes=29)
    db.session.flush()
    assert signed_in(client)
    db.session.refresh(row)
    row.last_seen_at = datetime.now(UTC) - timedelta(minutes=31)
    db.session.flush()
    assert signed_in(client) is not ends
    db.session.refresh(row)
    assert (row.revoked_reason == "idle") is ends
    assert ("auth.session_timeout" in audit_actions()) is ends


def test_last_seen_is_written_at_most_once_a_minute(make_user: Callable[..., User], sign_in: Login) -> None:
    user = make_user()
    client = sign_in(user)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row is not None
    recent = datetime.now(UTC) - timedelta(seconds=20)
    row.last_seen_at = recent
    db.session.flush()
    assert signed_in(client)
    db.session.refresh(row)
    assert row.last_seen_at == recent
    row.last_seen_at = datetime.now(UTC) - timedelta(minutes=2)
    db.session.flush()
    assert signed_in(client)
    db.session.refresh(row)
    assert datetime.now(UTC) - row.last_seen_at < timedelta(seconds=30)


def test_flashed_messages_survive_in_a_server_session(make_user: Callable[..., User], sign_in: Login) -> None:
    user = make_user(Role.ADMIN)
    client = sign_in(user)
    page = f"/admin/users/{user.id}"
    form = {"email": user.email, "roles": ["admin"], "active": "y", "csrf_token": csrf_token(client, page)}
    response = client.post(page, data=form, follow_redirects=True)
    assert 'class="flash flash-success"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/xapi/about", "/api/v1/gdx/auth/validate", "/api/v1/agencies"])
def test_the_lrs_gdx_and_api_create_no_session(
    path: str, client: FlaskClient, make_user: Callable[..., User], sign_in: Login
) -> None:
    response = client.get(path)
    assert "Set-Cookie" not in response.headers
    signed = sign_in(make_user())
    response = signed.get(path)
    assert "Set-Cookie" not in response.headers
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


def test_a_sign_in_by_another_path_still_gets_a_server_session(app: Flask, make_user: Callable[..., User]) -> None:
    from flask import Response

    from academy.auth.session_store import AcademySession

    user = make_user()
    db.session.commit()  # the request context shares the test's database session, which save_session rolls back
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.44"}):
        # What flask_login.login_user() alone leaves behind, without sign_in().
        session = AcademySession({"_user_id": str(user.id), "_fresh": True})
        response = Response()
        app.session_interface.save_session(app, session, response)
    set_cookie = response.headers["Set-Cookie"]
    token = set_cookie.split(";")[0].split("=", 1)[1]
    assert "." not in token and len(token) == 43
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row is not None and row.ip_address == "192.0.2.44"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
