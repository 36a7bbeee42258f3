"""Pages of personal data are never kept by a browser's or a proxy's cache."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import Response, make_response
from flask.typing import ResponseReturnValue

P = ParamSpec("P")


def no_store(view: Callable[P, ResponseReturnValue]) -> Callable[P, Response]:
    """Send ``Cache-Control: no-store``: the next user of a shared computer must not find the page."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapper
