"""Passing the second factor in tests the way a user does: a real TOTP code typed on the page.

``pass_second_factor(client, user)`` enrols the user's authenticator (through the service, as if
they had scanned the QR code, when they have none yet) and posts the app's current code to
/account/second-factor: the gate itself is never bypassed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
from flask.testing import FlaskClient

from academy.auth.models import User
from academy.auth.second_factor import enrol_totp, get_second_factor, needs_second_factor
from academy.db import db
from tests.support.app import PASSWORD, csrf_token

#: Each user's authenticator app and recovery codes from their enrolment (keyed by user id and email).
_APPS: dict[tuple[int, str], tuple[str, list[str]]] = {}


def authenticator(user: User) -> pyotp.TOTP:
    """The user's authenticator app, enrolled on first use (with the previous step's code, as a slow typist)."""
    key = (user.id, user.email)
    if key not in _APPS or get_second_factor(user) is None:
        secret = pyotp.random_base32(32)
        app = pyotp.TOTP(secret)
        enrolment = enrol_totp(user, secret, app.generate_otp(app.timecode(datetime.now(UTC)) - 1))
        _APPS[key] = (secret, list(enrolment.recovery_codes))
    return pyotp.TOTP(_APPS[key][0])


def next_code(user: User) -> str:
    """The app's code for now (or the next step's when this one was used already); else a recovery code."""
    app = authenticator(user)
    factor = get_second_factor(user)
    assert factor is not None
    db.session.refresh(factor)  # the last step used was written by the app's request
    now = app.timecode(datetime.now(UTC))
    step = max(now, factor.last_used_step + 1)
    if step <= now + 1:
        return app.generate_otp(step)
    # Three sign-ins within 30 seconds: the codes of the window are spent, as they would be on a phone.
    return _APPS[(user.id, user.email)][1].pop()


def pass_second_factor(client: FlaskClient, user: User) -> None:
    """Type the current code on the second-factor page, as the user would."""
    code = next_code(user)
    token = csrf_token(client, "/account/second-factor")
    response = client.post("/account/second-factor", data={"code": code, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def sign_in_fully(client: FlaskClient, user: User) -> None:
    """After the password: the second factor too when the user's role needs it."""
    if needs_second_factor(user):
        pass_second_factor(client, user)


def sign_in(client: FlaskClient, user: User, password: str = PASSWORD) -> FlaskClient:
    """Sign in on the login page, then pass the second factor when the user's role needs it."""
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    sign_in_fully(client, user)
    return client
