"""Extensions, created without an app and bound in create_app() with init_app."""

from __future__ import annotations

from hashlib import sha512

from flask import Response, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from academy.db import db


def _session_identifier() -> str:
    # Flask-Login's own reads X-Forwarded-For as sent, which anyone can set; remote_addr is what
    # ProxyFix trusted (ACADEMY_PROXY_COUNT).
    return sha512(f"{request.remote_addr}|{request.headers.get('User-Agent', '')}".encode()).hexdigest()


class ServerSessionLoginManager(LoginManager):
    """Flask-Login without its remember-me cookie (the same for every login, signed with the app key).

    The server-side session store keeps remember-me instead: a random per-login token, stored hashed,
    spent on use, ended with the session (academy.auth.session_store).
    """

    def __init__(self) -> None:
        super().__init__()
        self._session_identifier_generator = _session_identifier

    def _load_user_from_remember_cookie(self, cookie: str) -> None:
        return None

    def _update_remember_cookie(self, response: Response) -> Response:
        for key in ("_remember", "_remember_seconds"):
            if key in session:
                session.pop(key)
        return response


migrate = Migrate()
login_manager = ServerSessionLoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]
