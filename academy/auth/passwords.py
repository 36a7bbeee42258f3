"""The password policy, one home for every place a password is set (user form, invitation, reset, CLI).

At least 12 characters, at most 1,024, and not one of the passwords people pick most (the
project's list in ``data/common-passwords.txt``, read once; no network call).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import gettext as _

MIN_PASSWORD_LENGTH = 12
#: Hashing is slow on purpose: a megabyte "password" must not cost a second of CPU.
MAX_PASSWORD_LENGTH = 1024
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords, lowercase (read on first use)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Why this password may not be used (translated), or None when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("A password needs at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _("A password may have at most %(num)d characters.", num=MAX_PASSWORD_LENGTH)
    folded = password.strip().lower()
    if folded in common_passwords() or len(set(folded)) < 3:
        return _("This password is among the most common ones; choose another.")
    return None
