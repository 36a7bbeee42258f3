"""Errors of the LRS: each carries the HTTP status and a message that explains itself."""

from __future__ import annotations


class XapiError(Exception):
    """A request the LRS refuses; ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class StatementError(XapiError):
    """A statement breaks a rule of the spec; the message names the property and the rule."""


class ConflictError(XapiError):
    status = 409


class PreconditionFailed(XapiError):
    status = 412


class NotFound(XapiError):
    status = 404
