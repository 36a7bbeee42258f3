"""Limits on what a request may carry, shared by every part of the platform.

PostgreSQL refuses a NUL character in text and JSONB and integers beyond 64 bits, and
Python's JSON reader and writer give up on deep nesting: input that would reach them is
refused here with a 400 (or 413 for a body over the limit) instead of failing as a 500.
"""

from __future__ import annotations

import io
import json
from typing import IO, Any

from flask import Flask, Request, abort, current_app, request
from flask_babel import gettext as _
from sqlalchemy import Select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property

#: The largest integer a parameter may give: a PostgreSQL bigint.
MAX_INT = 2**63 - 1
#: How deeply a JSON value may nest; Python's own reader fails somewhere near 1,000.
MAX_JSON_DEPTH = 100


def parse_int(text: str | None, low: int = 0, high: int = MAX_INT) -> int | None:
    """Return the integer written in ASCII digits in `text` if it lies in [low, high], else None."""
    # str.isdigit() admits "²" and other digits int() refuses, and int() reads Thai and Arabic digits.
    if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def json_problem(value: object, path: str, *, max_depth: int = MAX_JSON_DEPTH, nul: bool = True) -> str | None:
    """Return "path: problem" for the first NUL character (if `nul`) or too deep nesting in `value`, else None."""
    stack: list[tuple[object, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if type(item) is str:
            if nul and "\x00" in item:
                return f"{where}: contains a NUL character"
        elif isinstance(item, list):
            if depth >= max_depth:
                return f"{where}: is nested more than {max_depth} levels deep"
            stack.extend((child, f"{where}[{index}]", depth + 1) for index, child in enumerate(item))
        elif isinstance(item, dict):
            if depth >= max_depth:
                return f"{where}: is nested more than {max_depth} levels deep"
            for key, child in item.items():
                name = str(key)  # YAML keys may be numbers
                if name.isidentifier():
                    child_path = f"{where}.{name}" if where else name
                else:
                    child_path = f"{where}[{json.dumps(name)}]"
                if nul and "\x00" in name:
                    return f"{child_path}: the key contains a NUL character"
                stack.append((child, child_path, depth + 1))
    return None


def int_arg(name: str, default: int, low: int = 0, high: int = MAX_INT) -> int:
    """Return the integer query parameter `name` (its default when absent); abort 400 unless it is in range."""
    text = request.args.get(name, "").strip()
    if not text:
        return default
    value = parse_int(text, low, high)
    if value is None:
        abort(
            400,
            description=_("%(name)s must be a whole number from %(low)s to %(high)s.", name=name, low=low, high=high),
        )
    return value


def paginate(query: Select[Any], per_page: int) -> Any:
    """Return the page of `query` the ``page`` parameter asks for, refusing a page number out of range."""
    from academy.db import db

    # Flask-SQLAlchemy reads ?page= with int() itself: "²" or 10**20 would fail in the database.
    return db.paginate(query, page=int_arg("page", 1, 1, 10**9), per_page=per_page, max_per_page=per_page)


class _CappedStream(io.RawIOBase):
    """A request body read straight from the server that raises 413 past `limit` bytes."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # One byte more than the limit may be asked for: that is how a body over it is told apart.
        wanted = min(len(buffer), self._limit + 1 - self._read)
        data = self._stream.read(wanted) if wanted > 0 else b""
        self._read += len(data)
        if self._read > self._limit:
            raise RequestEntityTooLarge()
        buffer[: len(data)] = data
        return len(data)


class AcademyRequest(Request):
    """Flask's request, except that a body without Content-Length over the limit is refused, not cut short."""

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        # Werkzeug stops reading a chunked body at the limit and hands on what it read as the
        # whole body; with Content-Length it already answers 413 before reading.
        if limit is not None and self.content_length is None and self.environ.get("wsgi.input_terminated"):
            return io.BufferedReader(_CappedStream(self.environ["wsgi.input"], limit))
        stream: IO[bytes] = Request.stream.__get__(self, type(self))  # type: ignore[attr-defined]
        return stream


_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _reject_nul_arguments() -> None:
    """Answer 400 when a query parameter or form field holds a NUL character in its name or value."""
    exempt = current_app.extensions["academy.inputs"]
    if exempt["all"].intersection(request.blueprints):  # a blueprint or one it is nested in
        return
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            abort(400, description=_("The parameter %(name)s contains a NUL character.", name=key.replace("\x00", "")))
    if request.mimetype in _FORM_TYPES and not exempt["body"].intersection(request.blueprints):
        # Forms are read here before the view: CSRF protection reads them first anyway.
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(
                    400,
                    description=_("The form field %(name)s contains a NUL character.", name=key.replace("\x00", "")),
                )


def init_app(app: Flask) -> None:
    """Install the request class with the hard body limit and the NUL checks of parameters and forms."""
    app.request_class = AcademyRequest
    app.extensions["academy.inputs"] = {"all": set(), "body": set()}
    app.before_request(_reject_nul_arguments)


def exempt(app: Flask, blueprint: str) -> None:
    """Leave the NUL checks to a blueprint (and those nested in it) that checks its own parameters (REST: 422)."""
    app.extensions["academy.inputs"]["all"].add(blueprint)


def leave_body(app: Flask, blueprint: str) -> None:
    """Leave a blueprint's form bodies unread: it reads the raw body itself (the LRS's alternate syntax)."""
    app.extensions["academy.inputs"]["body"].add(blueprint)
