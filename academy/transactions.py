"""One commit per request at the edge: the rule that commits a handler's work or throws it away."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from flask import Response, current_app
from flask.typing import ResponseReturnValue

from academy.db import db

_P = ParamSpec("_P")


def commit_on_success(view: Callable[_P, ResponseReturnValue]) -> Callable[_P, Response]:
    """Commit the session when the handler answers 2xx or 3xx; roll back on an exception or a 4xx/5xx.

    Services only add and flush; this is where their work becomes permanent. It commits
    inside the view, before the response is sent and before the session cookie is saved
    (which throws away whatever was not committed). A handler that must keep a record even
    when it refuses (a failed sign-in's audit entry) still commits that record itself.
    """

    @functools.wraps(view)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Response:
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            db.session.rollback()
            raise
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    return wrapper
