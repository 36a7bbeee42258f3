"""Flask's session, kept server-side once signed in.

An anonymous visitor's session (the login form's CSRF token, the language switch) stays a
signed cookie: no database row per page view. Signing in replaces it with a random token whose
hash names a ``user_sessions`` row holding the data; ending the row ends every cookie at once.
The remember-me cookie is another random per-login token, stored hashed on the same row and
replaced each time it restores a session. The LRS, the GDX feed, the REST API and static files
never create or write a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Request, Response, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionInterface, session_json_serializer
from flask_login import login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from academy.auth.models import User, UserSession
from academy.auth.sessions import (
    LAST_SEEN_EVERY,
    SessionLimits,
    end_session,
    find_active_session,
    rotate_session_tokens,
    save_session_state,
    start_user_session,
)
from academy.db import db

#: Paths authenticated otherwise (client credentials, GDX tokens, API tokens) or static: no session
#: is created or written there. An admin's existing session may still be read (the REST API's GET).
STATELESS_PREFIXES = ("/xapi", "/api/v1", "/static/")
#: Flask-Login's keys and the second factor's (academy.auth.second_factor: SESSION_KEY, and PENDING_KEY,
#: an enrolment's secret): never taken from a signed (client-side) cookie, dropped at sign-out.
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds", "second_factor", "second_factor_pending")


class AcademySession(SecureCookieSession):
    """The request's session: anonymous (a signed cookie) or bound to a ``user_sessions`` row."""

    def __init__(self, initial: Any = None, *, record_id: int | None = None) -> None:
        super().__init__(initial)
        self.record_id = record_id
        #: Plain tokens to send in this response's cookies (new sign-in, or remember-me rotation).
        self.issued_token: str | None = None
        self.issued_remember: str | None = None
        self.last_seen_at: datetime | None = None
        #: The data as the row holds it already (written with the row at sign-in): not written again.
        self.stored_data: str | None = None
        self.stateless = False
        #: The request carried a cookie that no longer names a live session: clear it.
        self.forget_token = False
        self.forget_remember = False
        #: The database did not answer while a signed-in session was being opened: raised again
        #: before the view runs, so the user gets the 503 page instead of being shown as signed out.
        self.unavailable: SQLAlchemyError | None = None
        #: The signed-in user, loaded with the session row (find_active_session).
        self.user: User | None = None


def _is_server_token(value: str) -> bool:
    # A signed cookie always contains dots; our random tokens never do.
    return bool(value) and "." not in value


def _limits() -> SessionLimits:
    return SessionLimits.from_config(current_app.config)


class ServerSideSessionInterface(SessionInterface):
    """Signed cookie while anonymous, a ``user_sessions`` row once signed in."""

    #: Flask's tagged JSON, as in its cookies: flashed messages' tuples and Markup survive the trip.
    serializer = session_json_serializer

    def __init__(self) -> None:
        self.signed = SecureCookieSessionInterface()

    def open_session(self, app: Flask, request: Request) -> AcademySession:
        if request.path.startswith("/static/"):
            opened = AcademySession()
            opened.stateless = True
            return opened
        try:
            return self._open(app, request)
        except SQLAlchemyError as error:
            # The database is away: touch no cookie, so that the session works again when it is back.
            # A visitor goes on as anonymous; a signed-in user gets the 503 page (raise_if_unavailable).
            db.session.rollback()
            opened = AcademySession()
            opened.stateless = True
            cookies = request.cookies
            if _is_server_token(cookies.get(self.get_cookie_name(app), "")) or cookies.get(
                app.config["REMEMBER_COOKIE_NAME"]
            ):
                opened.unavailable = error
            return opened

    def _open(self, app: Flask, request: Request) -> AcademySession:
        stateless = request.path.startswith(STATELESS_PREFIXES)
        name = self.get_cookie_name(app)
        value = request.cookies.get(name, "")
        if _is_server_token(value):
            row = find_active_session(token=value, limits=SessionLimits.from_config(app.config))
            if row is not None:
                opened = AcademySession(self._load(row.data), record_id=row.id)
                opened.last_seen_at = row.last_seen_at
                # Held for the request: the identity map keeps objects only while they are referenced,
                # and Flask-Login's loader then finds the user (loaded with the row) without a query.
                opened.user = row.user
            else:
                db.session.commit()  # an idle timeout may have ended it just now: keep that
                opened = AcademySession()
                opened.forget_token = True
        elif value:
            signed = self.signed.open_session(app, request)
            data = dict(signed or {})
            # A signed cookie never signs anyone in, whoever made it (the key may have leaked).
            for key in _LOGIN_KEYS:
                data.pop(key, None)
            opened = AcademySession(data)
        else:
            opened = AcademySession()
        opened.stateless = stateless
        remember = request.cookies.get(app.config["REMEMBER_COOKIE_NAME"])
        if opened.record_id is None and remember and not stateless:
            opened = self._restore(app, opened, remember)
        return opened

    def _load(self, data: str) -> dict[str, Any]:
        if not data:
            return {}
        loaded = self.serializer.loads(data)
        return dict(loaded) if isinstance(loaded, dict) else {}

    def _restore(self, app: Flask, anonymous: AcademySession, remember: str) -> AcademySession:
        """Sign back in from a remember-me cookie: the token is spent and a new one issued."""
        row = find_active_session(remember_token=remember, limits=SessionLimits.from_config(app.config))
        if row is None:
            db.session.commit()
            anonymous.forget_remember = True
            return anonymous
        issued = rotate_session_tokens(row)
        db.session.commit()
        data = {**dict(anonymous), **self._load(row.data)}
        restored = AcademySession(data, record_id=row.id)
        restored["_fresh"] = False
        # A remembered device still asks a privileged user for the second factor.
        restored.pop("second_factor", None)
        restored["_id"] = app.login_manager._session_identifier_generator()  # type: ignore[attr-defined]
        restored.issued_token, restored.issued_remember = issued.token, issued.remember_token
        restored.last_seen_at = row.last_seen_at
        return restored

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if not isinstance(session, AcademySession) or session.stateless:
            return
        if session.record_id is None and "_user_id" in session:
            # Signed in by a path that did not call sign_in(): never put a user id in a signed cookie.
            _discard_uncommitted()
            user = db.session.get(User, int(session["_user_id"]))
            if user is None:
                session.clear()
            else:
                _bind(session, user, remember=False)
                db.session.commit()
        if session.record_id is not None and "_user_id" not in session:
            self._end(app, session, response)
            return
        if session.record_id is None:
            if session.forget_token and not session:
                session.modified = True  # makes the signed interface delete the stale cookie
            self._clear_remember(app, response, session.forget_remember)
            self.signed.save_session(app, session, response)
            return
        self._save_server(app, session, response)

    def _save_server(self, app: Flask, session: AcademySession, response: Response) -> None:
        assert session.record_id is not None
        now = datetime.now(UTC)
        stale = session.last_seen_at is None or now - session.last_seen_at >= LAST_SEEN_EVERY
        data = self.serializer.dumps(dict(session)) if session.modified else None
        if data is not None and data == session.stored_data:
            data = None  # the sign-in stored it with the row
        if data is not None or stale:
            _discard_uncommitted()
            save_session_state(session.record_id, data=data, seen_at=now if stale else None)
            db.session.commit()
        if session.accessed:
            response.vary.add("Cookie")
        if session.issued_token:
            response.set_cookie(
                self.get_cookie_name(app),
                session.issued_token,
                domain=self.get_cookie_domain(app),
                path=self.get_cookie_path(app),
                secure=self.get_cookie_secure(app),
                httponly=self.get_cookie_httponly(app),
                samesite=self.get_cookie_samesite(app),
            )
        if session.issued_remember:
            response.set_cookie(
                app.config["REMEMBER_COOKIE_NAME"],
                session.issued_remember,
                max_age=SessionLimits.from_config(app.config).remember_days * 86400,
                path=self.get_cookie_path(app),
                secure=bool(app.config["REMEMBER_COOKIE_SECURE"]),
                httponly=True,
                samesite=app.config["REMEMBER_COOKIE_SAMESITE"],
            )

    def _end(self, app: Flask, session: AcademySession, response: Response) -> None:
        """The user signed out (or Flask-Login's session protection dropped them): end the row too."""
        _discard_uncommitted()
        row = db.session.get(UserSession, session.record_id)
        if row is not None and row.revoked_at is None:
            end_session(row, reason="signed_out")
        db.session.commit()
        # What is left (the language) goes back to a signed cookie, with a new CSRF token later.
        anonymous = AcademySession({k: v for k, v in session.items() if k not in (*_LOGIN_KEYS, "csrf_token")})
        anonymous.modified = True
        response.vary.add("Cookie")
        self._clear_remember(app, response, True)
        if anonymous:
            self.signed.save_session(app, anonymous, response)
        else:
            response.delete_cookie(
                self.get_cookie_name(app), domain=self.get_cookie_domain(app), path=self.get_cookie_path(app)
            )

    def _clear_remember(self, app: Flask, response: Response, clear: bool) -> None:
        if clear:
            response.delete_cookie(app.config["REMEMBER_COOKIE_NAME"], path=self.get_cookie_path(app))


def _discard_uncommitted() -> None:
    # Whatever the view did not commit was meant to be thrown away (teardown would roll it back):
    # the session's own write must not commit it by accident.
    db.session.rollback()


#: Flask-Login's order to its own after_request (set or clear its remember cookie), popped there: never stored.
_REMEMBER_ORDER = "_remember"


def _bind(session: AcademySession, user: User, *, remember: bool, store_data: bool = False) -> None:
    data = ""
    if store_data:
        data = ServerSideSessionInterface.serializer.dumps({k: v for k, v in session.items() if k != _REMEMBER_ORDER})
    issued = start_user_session(
        user,
        remember=remember,
        ip_address=request.remote_addr,
        user_agent=request.user_agent.string,
        limits=_limits(),
        data=data,
    )
    if store_data:
        session.stored_data = data
    session.record_id = issued.row.id
    session.issued_token, session.issued_remember = issued.token, issued.remember_token
    session.last_seen_at = issued.row.last_seen_at
    session.modified = True


def sign_in(user: User, *, remember: bool, data: Mapping[str, Any] | None = None) -> int:
    """Sign a user in on this request: a new session row, new cookies, a new CSRF token; return its id.

    ``data`` are session keys the sign-in sets: they go into the new row with the sign-in's own
    keys, so that the response need not write the row again. The caller commits (with its audit entry).
    """
    current = session._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(current, AcademySession)
    # A fresh CSRF token: the one the login page handed out (maybe to someone else) is not reused.
    current.pop("csrf_token", None)
    g.pop("csrf_token", None)
    # A new sign-in has passed no second factor yet, whatever the session held before.
    current.pop("second_factor", None)
    current.pop("second_factor_pending", None)
    login_user(user, remember=False)  # Flask-Login's own remember cookie is never used
    current.update(data or {})
    _bind(current, user, remember=remember, store_data=True)
    assert current.record_id is not None
    return current.record_id


def renew_session_tokens() -> None:
    """Give this signed-in session new cookie tokens (after a second factor: the old cookie no longer works).

    The caller commits.
    """
    current = session._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(current, AcademySession) or current.record_id is None:
        return
    row = db.session.get(UserSession, current.record_id)
    if row is None:
        return
    issued = rotate_session_tokens(row)
    current.issued_token, current.issued_remember = issued.token, issued.remember_token
    current.last_seen_at = row.last_seen_at
    current.modified = True


def current_session_id() -> int | None:
    """The ``user_sessions`` id of this request's session (None when anonymous)."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    return current.record_id if isinstance(current, AcademySession) else None


def sign_out() -> None:
    """Sign out on this request; the session row is ended when the response is saved."""
    logout_user()


def raise_if_unavailable() -> None:
    """Raise the database error met while opening a signed-in session (before_request)."""
    opened = session._get_current_object()  # type: ignore[attr-defined]
    if isinstance(opened, AcademySession) and opened.unavailable is not None:
        raise opened.unavailable
