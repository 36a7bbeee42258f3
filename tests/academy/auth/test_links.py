"""Invitations and password resets: mails read back from a real SMTP server, links followed once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.links import issue_link
from academy.auth.models import AccountLink, AccountLinkPurpose, Role, User, UserSession
from academy.auth.services import authenticate, get_user_by_email
from academy.extensions import db
from academy.org.models import Agency
from tests.support.app import BASE_URL, csrf_token
from tests.support.mail import Mailbox

NEW_PASSWORD = "sunflower-on-the-river-bank"


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def follow(client: FlaskClient, link: str, password: str = NEW_PASSWORD, confirm: str | None = None) -> int:
    """Open a mailed link and choose a password on its page; the response's status."""
    assert link.startswith(BASE_URL + "/account/password/")
    path = urlsplit(link).path
    page = client.get(path)
    if page.status_code != 200:
        return page.status_code
    data = {"password": password, "confirm": confirm or password, "csrf_token": csrf_token(client, path)}
    status = client.post(path, data=data).status_code
    db.session.expire_all()  # the request wrote the password: read it again
    return status


def test_an_admin_invites_by_email_and_the_link_sets_the_password_once(
    app: Flask,
    mailbox: Mailbox,
    make_user: Callable[..., User],
    make_agency: Callable[..., Agency],
    login: Callable[[User], FlaskClient],
) -> None:
    admin = make_user(Role.ADMIN)
    agency = make_agency()
    client = login(admin)
    page = "/admin/users/new?invite=1"
    form = {
        "email": "New.Officer@example.go.th",
        "display_name": "สมหญิง ใจดี",
        "roles": ["hr_officer"],
        "agency_codes": agency.code,
        "active": "y",
        "csrf_token": csrf_token(client, page),
    }
    response = client.post(page, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    invited = get_user_by_email("new.officer@example.go.th")
    assert invited is not None and authenticate(invited.email, "") is None
    listed = client.get("/admin/users", query_string={"q": "new.officer"}).get_data(as_text=True)
    assert "ได้รับคำเชิญแล้ว" in listed  # invited, no password yet
    mail = mailbox.only(to="new.officer@example.go.th")
    assert "สมหญิง ใจดี" in mailbox.text(mail) and admin.email in mailbox.text(mail)
    link = mailbox.link(mail)
    assert link in mailbox.html(mail)
    # Only the token's hash is stored.
    token = urlsplit(link).path.rsplit("/", 1)[1]
    assert db.session.scalar(select(AccountLink).where(AccountLink.token_hash == token)) is None

    visitor = app.test_client()
    assert follow(visitor, link, confirm="something-else-entirely") == 400  # the two differ
    assert follow(visitor, link, password="password1234") == 400  # common: refused, link still good
    assert follow(visitor, link) == 302
    assert authenticate(invited.email, NEW_PASSWORD) is not None
    assert follow(app.test_client(), link, password="another-good-password") == 404  # used once
    assert authenticate(invited.email, NEW_PASSWORD) is not None
    assert "auth.invitation_sent" in actions() and "auth.invitation_accepted" in actions()


def test_an_expired_link_is_refused(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user()
    issued = issue_link(
        user, AccountLinkPurpose.INVITATION, created_by="admin", now=datetime.now(UTC) - timedelta(hours=73)
    )
    page = app.test_client().get(f"/account/password/{issued.token}")
    assert page.status_code == 404
    assert "expired" in page.get_data(as_text=True) or "หมดอายุ" in page.get_data(as_text=True)


def test_a_newer_link_ends_the_older_one(app: Flask, make_user: Callable[..., User]) -> None:
    user = make_user()
    old = issue_link(user, AccountLinkPurpose.PASSWORD_RESET, created_by=user.email)
    new = issue_link(user, AccountLinkPurpose.PASSWORD_RESET, created_by=user.email)
    client = app.test_client()
    assert client.get(f"/account/password/{old.token}").status_code == 404
    assert client.get(f"/account/password/{new.token}").status_code == 200
    assert client.get("/account/password/not-a-token").status_code == 404


def test_forgot_password_mails_a_known_address_and_says_the_same_for_any(
    app: Flask, mailbox: Mailbox, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    user = make_user()
    login(user)  # a session elsewhere (maybe someone else's), ended by the reset
    answers = []
    for email in (user.email.upper(), "nobody@example.go.th"):
        visitor = app.test_client()
        response = visitor.post(
            "/login/forgot", data={"email": email, "csrf_token": csrf_token(visitor, "/login/forgot")}
        )
        assert response.status_code == 302
        answers.append(visitor.get(response.headers["Location"]).get_data(as_text=True))
    strip = [answer.replace('value="', "").split("csrf_token")[0] for answer in answers]
    assert strip[0] == strip[1]  # the same page whether the email is known or not
    (mail,) = mailbox.wait(user.email)  # sent off the request
    assert mailbox.to("nobody@example.go.th") == []
    link = mailbox.link(mail)
    assert follow(app.test_client(), link) == 302
    assert authenticate(user.email, NEW_PASSWORD) is not None
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert rows and all(row.revoked_reason == "password_reset" for row in rows)
    assert follow(app.test_client(), link) == 404
    assert actions().count("auth.reset_requested") == 2 and "auth.reset_done" in actions()


def test_an_inactive_user_gets_no_reset_mail(app: Flask, mailbox: Mailbox, make_user: Callable[..., User]) -> None:
    user = make_user()
    user.active = False
    db.session.flush()
    client = app.test_client()
    response = client.post(
        "/login/forgot", data={"email": user.email, "csrf_token": csrf_token(client, "/login/forgot")}
    )
    assert response.status_code == 302 and mailbox.to(user.email) == []


def test_forgot_password_is_rate_limited(app: Flask, mailbox: Mailbox) -> None:
    client = app.test_client()
    codes = [
        client.post(
            "/login/forgot",
            data={"email": "someone@example.go.th", "csrf_token": csrf_token(client, "/login/forgot")},
        ).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [302] * 5 and codes[5] == 429


def test_the_reset_mail_is_in_the_pages_language(app: Flask, mailbox: Mailbox, make_user: Callable[..., User]) -> None:
    user = make_user()
    client = app.test_client()
    client.get("/lang/en")
    client.post("/login/forgot", data={"email": user.email, "csrf_token": csrf_token(client, "/login/forgot")})
    assert mailbox.subject(mailbox.wait(user.email)[0]) == "Reset your E-Workforce Academy password"
    thai = app.test_client()
    thai.post("/login/forgot", data={"email": user.email, "csrf_token": csrf_token(thai, "/login/forgot")})
    assert mailbox.subject(mailbox.wait(user.email, count=2)[1]) == "ตั้งรหัสผ่าน E-Workforce Academy ใหม่"
