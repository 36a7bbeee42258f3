"""The password policy: one rule wherever a password is set (service, admin form, CLI)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import Role, User
from academy.auth.passwords import MIN_PASSWORD_LENGTH, common_passwords, password_problem
from academy.auth.services import AccountError, create_user, get_user_by_email
from tests.support.app import PASSWORD, csrf_token


def test_the_common_list_is_shipped_and_large() -> None:
    listed = common_passwords()
    assert len(listed) > 5000
    assert {"password1234", "123456789012", "qwertyuiop123", "1qaz2wsx3edc"} <= listed
    assert all(len(word) >= MIN_PASSWORD_LENGTH for word in listed)


@pytest.mark.parametrize(
    ("password", "allowed"),
    [
        ("short-pw", False),
        ("elevenchars", False),
        ("Password1234", False),  # common, whatever the case
        ("123456789012", False),
        ("aaaaaaaaaaaaaaaa", False),
        ("bangkok2569!", True),
        ("a" * 1025, False),
        ("demo-academy-2569", True),
        (PASSWORD, True),
        ("ม้าลายกินหญ้าริมคลอง", True),
    ],
)
def test_the_policy(password: str, allowed: bool) -> None:
    assert (password_problem(password) is None) is allowed


def test_the_service_refuses_a_common_password() -> None:
    with pytest.raises(AccountError):
        create_user(email="x@example.go.th", password="password1234")
    assert get_user_by_email("x@example.go.th") is None


def test_the_admins_form_applies_the_policy(
    make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    client = login(make_user(Role.ADMIN))
    user = make_user()
    page = f"/admin/users/{user.id}"
    form = {"email": user.email, "roles": ["learner"], "active": "y", "password": "qwertyuiop123"}
    response = client.post(page, data={**form, "csrf_token": csrf_token(client, page)})
    assert response.status_code == 400
    assert "common" in response.get_data(as_text=True) or "ทั่วไป" in response.get_data(as_text=True)


def test_the_cli_applies_the_policy(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["academy", "create-user", "--email", "cli@example.go.th", "--role", "admin", "--password", "short"]
    )
    assert result.exit_code != 0 and get_user_by_email("cli@example.go.th") is None
