"""The second factor of HR officers and admins: enrolment by QR code, codes, recovery codes, reset, the gate."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pyotp
import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import RecoveryCode, Role, SecondFactor, User, UserSession
from academy.auth.second_factor import get_second_factor, recovery_codes_left
from academy.extensions import db
from academy.org.models import Agency
from tests.support.app import PASSWORD, csrf_token
from tests.support.second_factor import authenticator, next_code, pass_second_factor

SETUP = "/account/second-factor/setup"
VERIFY = "/account/second-factor"


def password_only(app: Flask, user: User, **data: str) -> FlaskClient:
    """Sign in with the password alone (a new browser)."""
    client = app.test_client()
    form = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login"), **data}
    assert client.post("/login", data=form).status_code == 302
    return client


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def officer(make_user: Callable[..., User], make_agency: Callable[..., Agency]) -> User:
    return make_user(Role.HR_OFFICER, agencies=(make_agency(),))


def report(user: User) -> str:
    """A page of the HR officer's role: the people of their agencies."""
    return "/people"


def enrol_on_the_page(client: FlaskClient) -> tuple[pyotp.TOTP, list[str]]:
    """Read the key under the QR code as an app would, confirm with its code; the app and recovery codes."""
    page = client.get(SETUP).get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert secret
    app = pyotp.TOTP(secret.group(1))
    response = client.post(SETUP, data={"code": app.now(), "csrf_token": csrf_token(client, SETUP)})
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", response.get_data(as_text=True))
    return app, codes


def test_an_hr_officer_sees_no_report_before_the_factor(app: Flask, officer: User) -> None:
    client = password_only(app, officer)
    for path in ("/reports/", "/people", "/", "/account/sessions", "/courses/assign"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith(SETUP + "?next="), path
    assert client.get("/reports/").headers["Location"].endswith("next=/reports/")


def test_enrolment_by_qr_code_then_the_reports_open(app: Flask, officer: User) -> None:
    client = password_only(app, officer)
    wrong = client.post(SETUP, data={"code": "000000", "csrf_token": csrf_token(client, SETUP)})
    assert wrong.status_code == 401 and get_second_factor(officer) is None
    totp, codes = enrol_on_the_page(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(report(officer)).status_code == 200
    # Stored: the secret encrypted, the recovery codes hashed.
    factor = db.session.get(SecondFactor, officer.id)
    assert factor is not None and totp.secret not in factor.secret
    stored = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == officer.id)))
    assert len(stored) == 10 and not stored & set(codes)
    assert "auth.second_factor_enrolled" in actions()


def test_the_next_sign_in_asks_for_the_code_wrong_and_replayed_codes_are_refused(app: Flask, officer: User) -> None:
    authenticator(officer)
    client = password_only(app, officer)
    assert client.get("/reports/").headers["Location"].startswith(VERIFY + "?next=")
    wrong = client.post(VERIFY, data={"code": "123456", "csrf_token": csrf_token(client, VERIFY)})
    assert wrong.status_code == 401 and client.get("/reports/").status_code == 302
    code = next_code(officer)
    assert client.post(VERIFY, data={"code": code, "csrf_token": csrf_token(client, VERIFY)}).status_code == 302
    assert client.get(report(officer)).status_code == 200
    # The same code on another browser: spent.
    other = password_only(app, officer)
    assert other.post(VERIFY, data={"code": code, "csrf_token": csrf_token(other, VERIFY)}).status_code == 401
    assert {"auth.second_factor_failed", "auth.second_factor"} <= set(actions())


def test_a_recovery_code_works_once(app: Flask, officer: User) -> None:
    client = password_only(app, officer)
    _totp, codes = enrol_on_the_page(client)
    first = password_only(app, officer)
    typed = codes[3].upper().replace("-", " ")  # as read aloud: case and separators do not matter
    assert first.post(VERIFY, data={"code": typed, "csrf_token": csrf_token(first, VERIFY)}).status_code == 302
    assert first.get(report(officer)).status_code == 200
    assert recovery_codes_left(officer) == 9
    again = password_only(app, officer)
    assert again.post(VERIFY, data={"code": codes[3], "csrf_token": csrf_token(again, VERIFY)}).status_code == 401
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.recovery_code_used"))
    assert entry is not None and entry.details["recovery_codes_left"] == 9


def test_a_stolen_password_cannot_enrol_a_new_factor(app: Flask, officer: User) -> None:
    authenticator(officer)
    thief = password_only(app, officer)
    response = thief.get(SETUP)
    assert response.status_code == 302 and response.headers["Location"].startswith(VERIFY)
    token = csrf_token(thief, VERIFY)
    assert thief.post(SETUP, data={"code": "123456", "csrf_token": token}).status_code == 302
    assert "auth.second_factor_enrolled" not in actions()


def test_wrong_codes_are_rate_limited(app: Flask, officer: User) -> None:
    authenticator(officer)
    client = password_only(app, officer)
    token = csrf_token(client, VERIFY)
    codes = [client.post(VERIFY, data={"code": "000000", "csrf_token": token}).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_learners_are_not_asked(app: Flask, make_user: Callable[..., User]) -> None:
    client = password_only(app, make_user(Role.LEARNER))
    assert client.get("/").status_code == 200


def test_the_admin_pages_and_the_apis_session_read_need_the_factor(app: Flask, make_user: Callable[..., User]) -> None:
    admin = make_user(Role.ADMIN)
    client = password_only(app, admin)
    assert client.get("/admin/users").status_code == 302
    assert client.get("/admin/audit").status_code == 302
    assert client.get("/api/v1/agencies").status_code == 401
    pass_second_factor(client, admin)
    assert client.get("/admin/users").status_code == 200
    assert client.get("/api/v1/agencies").status_code == 200


def test_a_remembered_device_asks_again(app: Flask, officer: User) -> None:
    client = password_only(app, officer, remember="y")
    pass_second_factor(client, officer)
    assert client.get(report(officer)).status_code == 200
    remembered = client.get_cookie("academy_remember")
    assert remembered is not None
    browser = app.test_client()
    browser.set_cookie("academy_remember", remembered.value)
    response = browser.get("/reports/")
    assert response.status_code == 302 and response.headers["Location"].startswith(VERIFY)


def test_the_session_cookie_changes_when_the_factor_is_passed(app: Flask, officer: User) -> None:
    client = password_only(app, officer)
    before = client.get_cookie("session")
    assert before is not None
    pass_second_factor(client, officer)
    after = client.get_cookie("session")
    assert after is not None and after.value != before.value
    stale = app.test_client()
    stale.set_cookie("session", before.value)
    assert stale.get("/reports/").status_code == 302


def test_an_admin_resets_a_users_factor(
    app: Flask, officer: User, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    device = password_only(app, officer)
    pass_second_factor(device, officer)
    admin = login(make_user(Role.ADMIN))
    page = f"/admin/users/{officer.id}"
    assert "Reset" in admin.get(page).get_data(as_text=True) or "รีเซ็ต" in admin.get(page).get_data(as_text=True)
    path = f"/admin/users/{officer.id}/second-factor/reset"
    assert admin.post(path, data={"csrf_token": csrf_token(admin, page)}).status_code == 302
    assert get_second_factor(officer) is None
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == officer.id)) is None
    assert device.get("/reports/").status_code == 302  # signed out
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == officer.id)).all()
    assert {row.revoked_reason for row in rows} == {"factor_reset"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.second_factor_reset"))
    assert entry is not None and entry.target_id == str(officer.id)
    # The next sign-in enrols again.
    again = password_only(app, officer)
    assert again.get("/reports/").headers["Location"].startswith(SETUP)


def test_only_admins_reset_factors(app: Flask, officer: User, login: Callable[[User], FlaskClient]) -> None:
    authenticator(officer)
    client = login(officer)
    path = f"/admin/users/{officer.id}/second-factor/reset"
    assert client.post(path, data={"csrf_token": csrf_token(client, "/")}).status_code == 403
    assert get_second_factor(officer) is not None


def test_a_code_of_the_step_before_or_after_is_accepted(officer: User) -> None:
    from academy.auth.second_factor import verify_totp

    totp = authenticator(officer)
    now = datetime.now(UTC)
    step = totp.timecode(now)
    assert not verify_totp(officer, totp.generate_otp(step + 2), now)
    assert verify_totp(officer, totp.generate_otp(step + 1), now)
    assert not verify_totp(officer, totp.generate_otp(step), now)  # older than the last one used


def test_the_cli_resets_a_factor(app: Flask, officer: User) -> None:
    authenticator(officer)
    result = app.test_cli_runner().invoke(args=["academy", "reset-second-factor", "--email", officer.email])
    assert result.exit_code == 0, result.output
    assert get_second_factor(officer) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.second_factor_reset"))
    assert entry is not None and entry.actor == "cli"
    missing = app.test_cli_runner().invoke(args=["academy", "reset-second-factor", "--email", "no@example.go.th"])
    assert missing.exit_code != 0


def test_a_new_phone_replaces_the_factor_and_its_recovery_codes(app: Flask, officer: User) -> None:
    client = password_only(app, officer)
    old_app, old_codes = enrol_on_the_page(client)
    assert "/account/second-factor/setup" in client.get("/account/sessions").get_data(as_text=True)
    new_app, new_codes = enrol_on_the_page(client)
    assert new_app.secret != old_app.secret and not set(new_codes) & set(old_codes)
    other = password_only(app, officer)
    refused = other.post(VERIFY, data={"code": old_codes[0], "csrf_token": csrf_token(other, VERIFY)})
    assert refused.status_code == 401
    assert actions().count("auth.second_factor_enrolled") == 2


def test_an_abandoned_enrolments_secret_never_reaches_a_cookie(app: Flask, officer: User) -> None:
    client = password_only(app, officer)
    page = client.get(SETUP).get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert secret
    client.get("/lang/en")  # something for the anonymous cookie to keep after sign-out
    client.post("/logout", data={"csrf_token": csrf_token(client, SETUP)})
    cookie = client.get_cookie("session")
    assert cookie is not None
    kept = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie.value)  # type: ignore[union-attr]
    assert kept.get("locale") == "en" and "second_factor_pending" not in kept
    again = password_only(app, officer)
    assert secret.group(1) not in again.get(SETUP).get_data(as_text=True)


def test_a_session_marked_by_another_sign_in_path_passes_the_gate(app: Flask, officer: User) -> None:
    """The contract with OpenID sign-in: a provider that asserted MFA sets ``second_factor`` to provider:<name>."""
    client = password_only(app, officer)
    assert client.get("/people").status_code == 302
    with app.app_context(), client.session_transaction() as session:  # its own context, as a request's
        session["second_factor"] = "provider:thaid"
    assert client.get("/people").status_code == 200
