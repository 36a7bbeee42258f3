"""Sign-in, CSRF, rate limits, roles, user management and the audit trail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.auth.services import AccountError, authenticate, create_user
from academy.extensions import db
from academy.org.models import Agency
from tests.support.app import PASSWORD, csrf_token


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_passwords_are_stored_hashed(make_user: Callable[..., User]) -> None:
    user = make_user()
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert authenticate(user.email.upper(), PASSWORD) is user
    assert authenticate(user.email, "wrong password") is None


def test_short_passwords_and_duplicate_emails_are_refused(make_user: Callable[..., User]) -> None:
    with pytest.raises(AccountError, match="12"):
        create_user(email="a@example.go.th", password="short")
    user = make_user()
    with pytest.raises(AccountError, match="already exists"):
        create_user(email=user.email, password=PASSWORD)


def test_an_hr_officer_needs_an_agency() -> None:
    with pytest.raises(AccountError, match="at least one agency"):
        create_user(email="hr@example.go.th", password=PASSWORD, roles=[Role.HR_OFFICER])


def test_login_and_logout_are_audited(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    user = make_user()
    login(user)
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page
    assert actions() == ["auth.login", "auth.logout"]


def test_wrong_password_is_refused_and_audited(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    response = client.post(
        "/login", data={"email": user.email, "password": "nope-nope", "csrf_token": csrf_token(client, "/login")}
    )
    assert response.status_code == 401
    assert actions() == ["auth.login_failed"]


def test_an_inactive_user_cannot_sign_in(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    user.active = False
    db.session.flush()
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    )
    assert response.status_code == 401


def test_forms_without_a_csrf_token_are_refused(client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert actions() == []


def test_pages_need_a_login(client: FlaskClient) -> None:
    for path in ("/", "/people", "/agencies", "/admin/users", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new", "/admin/audit", "/people", "/agencies"])
def test_a_learner_gets_403_on_staff_pages(
    path: str, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.LEARNER))
    response = client.get(path)
    assert response.status_code == 403
    assert "403" in response.get_data(as_text=True)


def test_admin_assigns_an_hr_officer_to_agencies_and_it_is_audited(
    make_user: Callable[..., User], make_agency: Callable[..., Agency], login: Callable[[User], FlaskClient]
) -> None:
    ministry = make_agency("05")
    department = make_agency("05001", parent=ministry)
    client = login(make_user(Role.ADMIN))
    response = client.post(
        "/admin/users/new",
        data={
            "email": "officer@example.go.th",
            "display_name": "Officer",
            "password": "a-long-password",
            "roles": ["hr_officer"],
            "agency_codes": "05001",
            "active": "y",
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    officer = db.session.scalar(select(User).where(User.email == "officer@example.go.th"))
    assert officer is not None and officer.roles == {Role.HR_OFFICER}
    assert [a.code for a in officer.scoped_agencies] == [department.code]
    assert "user.create" in actions()

    page = f"/admin/users/{officer.id}"
    response = client.post(
        page,
        data={
            "email": officer.email,
            "display_name": "Officer",
            "roles": ["hr_officer"],
            "agency_codes": "05",
            "active": "y",
            "csrf_token": csrf_token(client, page),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [a.code for a in officer.scoped_agencies] == ["05"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.update"))
    assert entry is not None
    assert entry.details["before"]["agencies"] == ["05001"] and entry.details["after"]["agencies"] == ["05"]


def test_unknown_agency_codes_are_explained(
    make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN))
    response = client.post(
        "/admin/users/new",
        data={
            "email": "officer@example.go.th",
            "password": "a-long-password",
            "roles": ["hr_officer"],
            "agency_codes": "77777",
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )
    assert response.status_code == 400
    assert "77777" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "officer@example.go.th")) is None


def test_admin_sees_the_audit_log(make_user: Callable[..., User], login: Callable[[User], FlaskClient]) -> None:
    admin = make_user(Role.ADMIN)
    client = login(admin)
    page = client.get("/admin/audit?action=auth").get_data(as_text=True)
    assert "auth.login" in page and admin.email in page


def test_the_user_list_is_searchable_and_paginated(
    make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN, email="admin@example.go.th"))
    for n in range(55):
        make_user(email=f"learner{n:02d}@example.go.th")
    first = client.get("/admin/users").get_data(as_text=True)
    # admin@ sorts first, so the first page of 50 ends with learner48.
    assert 'rel="next"' in first and "learner48@example.go.th" in first and "learner49@example.go.th" not in first
    found = client.get("/admin/users?q=learner07").get_data(as_text=True)
    assert "learner07@example.go.th" in found and "learner08@example.go.th" not in found
