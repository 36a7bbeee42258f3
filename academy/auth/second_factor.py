"""The second factor of HR officers and admins: TOTP (RFC 6238) and ten single-use recovery codes.

The contract with every sign-in path: ``session["second_factor"]`` set (to the method: "totp",
"recovery_code", or "provider:<name>" when an OpenID provider asserted MFA) means the factor is
satisfied for this session. Sign-in starts without it (academy.auth.session_store.sign_in), and
:func:`require_second_factor` sends a privileged user without it to enrol or to enter a code
before any other page.

The TOTP secret is stored encrypted (Fernet) with a key derived from the app's secret key: a copy
of the database alone gives no codes. Changing ``ACADEMY_SECRET_KEY`` therefore means every
factor is enrolled again (an admin resets them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, session
from markupsafe import Markup
from sqlalchemy import delete, func, select, update

from academy.auth.models import RecoveryCode, SecondFactor, User
from academy.auth.sessions import PRIVILEGED_ROLES
from academy.db import db
from academy.secrets import hash_secret

#: The session key the sign-in paths agree on (see the module's docstring).
SESSION_KEY = "second_factor"
#: The enrolment's secret waits here (server-side session) until the first code confirms it.
PENDING_KEY = "second_factor_pending"
ISSUER = "E-Workforce Academy"
RECOVERY_CODE_COUNT = 10
#: Codes of the step before and after are accepted too (clock drift of the phone).
VALID_WINDOW = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
_RECOVERY_LENGTH = 16  # 16 of 31 symbols: 79 bits


class SecondFactorError(ValueError):
    """The code does not confirm the enrolment."""


def needs_second_factor(user: object) -> bool:
    """Whether this user must pass a second factor: HR officers and admins."""
    if not getattr(user, "is_authenticated", False):
        return False
    roles: set[object] = getattr(user, "roles", set())
    return any(role in roles for role in PRIVILEGED_ROLES)


def second_factor_satisfied() -> bool:
    """Whether this request's session has passed a second factor."""
    return bool(session.get(SESSION_KEY))


def mark_second_factor(method: str) -> None:
    """Record in this session that the factor was passed (a method: totp, recovery_code, provider:<name>)."""
    session[SESSION_KEY] = method


# --- the TOTP secret ------------------------------------------------------------


def _fernet() -> Fernet:
    key = hashlib.sha256(b"academy.second-factor|" + str(current_app.config["SECRET_KEY"]).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def _open(sealed: str) -> str | None:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:  # the secret key changed: the factor must be enrolled again
        return None


def new_totp_secret() -> str:
    """A new random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code (no script, no image request: fits the CSP)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff", omitsize=False)
    return Markup(svg)


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None


def get_second_factor(user: User) -> SecondFactor | None:
    return db.session.get(SecondFactor, user.id)


def has_second_factor(user: User) -> bool:
    return get_second_factor(user) is not None


@dataclass(frozen=True)
class Enrolment:
    factor: SecondFactor
    #: Shown once, never stored in clear.
    recovery_codes: list[str]


def enrol_totp(user: User, secret: str, code: str, now: datetime | None = None) -> Enrolment:
    """Store a TOTP factor once a code of the app confirms the secret; new recovery codes; SecondFactorError if not."""
    now = now or datetime.now(UTC)
    step = _matching_step(secret, code, now)
    if step is None:
        raise SecondFactorError("the code does not match")
    existing = get_second_factor(user)
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()
    factor = SecondFactor(user_id=user.id, secret=_seal(secret), created_at=now, last_used_step=step)
    db.session.add(factor)
    codes = replace_recovery_codes(user)
    db.session.flush()
    return Enrolment(factor=factor, recovery_codes=codes)


def verify_totp(user: User, code: str, now: datetime | None = None) -> bool:
    """Whether the code is the user's current TOTP code, not used before (then it is spent)."""
    factor = get_second_factor(user)
    if factor is None:
        return False
    secret = _open(factor.secret)
    if secret is None:
        return False
    step = _matching_step(secret, code, now or datetime.now(UTC))
    if step is None or step <= factor.last_used_step:
        return False
    # Spent only if no other request spent this step or a later one meanwhile.
    spent = db.session.execute(
        update(SecondFactor)
        .where(SecondFactor.user_id == user.id, SecondFactor.last_used_step < step)
        .values(last_used_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(spent, "rowcount", 0))


# --- recovery codes -------------------------------------------------------------


def _normalise_code(code: str) -> str:
    return "".join(char for char in code.lower() if char.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def replace_recovery_codes(user: User) -> list[str]:
    """Give the user ten new recovery codes (the old ones stop working); return them to show once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_secret(_normalise_code(code))) for code in codes)
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` is one of the user's unused recovery codes (then it is spent for good)."""
    normalised = _normalise_code(code)
    if len(normalised) != _RECOVERY_LENGTH or not has_second_factor(user):
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_secret(normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or datetime.now(UTC))
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(spent, "rowcount", 0))


def recovery_codes_left(user: User) -> int:
    return int(
        db.session.scalar(select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
        or 0
    )


def reset_second_factor(user: User) -> bool:
    """Remove the user's factor and recovery codes (they enrol again at their next sign-in); whether one existed."""
    factor = get_second_factor(user)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    if factor is not None:
        db.session.delete(factor)
    db.session.flush()
    return factor is not None
