"""Reads on a streaming replica: reports, exports, the GDX feed and REST reads; all else on the primary.

With ``ACADEMY_DATABASE_REPLICA_URL`` set, a view marked :func:`reads_from_replica` sends
its plain SELECTs to the replica. Everything else stays on the primary: every flush, every
INSERT/UPDATE/DELETE, every ``SELECT ... FOR UPDATE``, every other view, CLI commands and
jobs. A caller who wrote within ``ACADEMY_REPLICA_STICKY_SECONDS`` reads from the primary
too (read-your-own-writes: a streaming replica lags by its replay delay), and so does
everyone while the replica lags more than ``ACADEMY_REPLICA_MAX_LAG_SECONDS`` or does not
answer: the replica may make a page quicker, never wrong and never unavailable.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Select

_P = ParamSpec("_P")
_R = TypeVar("_R")

#: The session key (signed-in users) and ``g`` key (API tokens) that tell when the caller last wrote.
WROTE_AT = "wrote_at"
#: How often (seconds) each process asks the replica how far behind it is.
LAG_CHECK_EVERY = 1.0
#: The execution option of a SELECT that must read the primary (see :func:`on_primary`).
ON_PRIMARY = "academy_on_primary"

_EXTENSION = "academy.replica"


class RoutingSession(FlaskSession):
    """The application's session: a replica-marked request's plain reads go to the replica."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        if bind is None and not self._flushing and _plain_read(clause) and g.get("academy_read_replica"):
            replica = _state().engine_if_fresh()
            if replica is not None:
                return replica
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@event.listens_for(RoutingSession, "after_flush")
def _flushed(session: Any, _context: Any) -> None:
    note_write()


def _plain_read(clause: Any) -> bool:
    return (
        isinstance(clause, Select)
        and clause._for_update_arg is None
        and not clause.get_execution_options().get(ON_PRIMARY)
    )


def on_primary(query: Select[Any]) -> Select[Any]:
    """Keep this SELECT on the primary even in a replica-marked request: it reads rows written a moment ago.

    What one request writes, the next may look for (a page of a kept build of the GDX feed)
    before the replica has replayed it.
    """
    return query.execution_options(**{ON_PRIMARY: True})


class _Replica:
    """The replica's engine and how far behind the primary it was when last asked."""

    def __init__(self, url: str, max_lag: float) -> None:
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        self.max_lag = max_lag
        self._checked_at = 0.0
        self._fresh = False

    def engine_if_fresh(self) -> Engine | None:
        now = time.monotonic()
        if now - self._checked_at >= LAG_CHECK_EVERY:
            self._checked_at = now
            self._fresh = self._lag() <= self.max_lag
        return self.engine if self._fresh else None

    def _lag(self) -> float:
        """Seconds of replay the replica has not caught up with (0 when it has replayed everything)."""
        try:
            with self.engine.connect() as connection:
                lag = connection.execute(
                    text(
                        "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                        " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
                    )
                ).scalar()
        except SQLAlchemyError:
            current_app.logger.warning("the read replica does not answer: reading from the primary", exc_info=True)
            return float("inf")
        return float(lag) if lag is not None else float("inf")


def _state() -> _Replica:
    state: _Replica = current_app.extensions[_EXTENSION]
    return state


def init_app(app: Flask) -> None:
    """Open the replica named by the settings, if any, and note each caller's writes."""
    url = app.config.get("ACADEMY_DATABASE_REPLICA_URL")
    if not url:
        return
    app.extensions[_EXTENSION] = _Replica(url, float(app.config["ACADEMY_REPLICA_MAX_LAG_SECONDS"]))
    app.after_request(_remember_writes)


def configured() -> bool:
    return _EXTENSION in current_app.extensions


def note_write() -> None:
    """Record that this request wrote, so that the caller's next reads see it (read-your-own-writes)."""
    if has_request_context():
        g.academy_wrote = True


def _remember_writes(response: Any) -> Any:
    # Signed-in users only: an LRS client or an API token has no session to keep it in.
    wrote = g.get("academy_wrote") and request.method not in ("GET", "HEAD") and response.status_code < 400
    if wrote and current_user.is_authenticated:
        session[WROTE_AT] = int(time.time())
    return response


def wrote_recently(at: float | None) -> bool:
    """Whether a write at ``at`` (epoch seconds) is recent enough to keep the caller on the primary."""
    return at is not None and time.time() - at < float(current_app.config["ACADEMY_REPLICA_STICKY_SECONDS"])


def read_from_replica(last_write: float | None = None) -> None:
    """Let this request's plain reads go to the replica, unless the caller wrote recently.

    ``last_write`` is when the caller last wrote (epoch seconds), for callers without a
    session (API tokens); a signed-in user's comes from their session.
    """
    if configured() and request.method in ("GET", "HEAD"):
        if last_write is None:
            last_write = session.get(WROTE_AT)
        g.academy_read_replica = not wrote_recently(last_write)


def reads_from_replica(view: Callable[_P, _R]) -> Callable[_P, _R]:
    """Mark a read-only view (a report, an export, a feed): its SELECTs may go to the replica."""

    @functools.wraps(view)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        read_from_replica()
        return view(*args, **kwargs)

    return wrapper
