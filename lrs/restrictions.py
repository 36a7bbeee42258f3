"""Restricted credentials: tokens another package issues for a narrow purpose (a cmi5 launch session).

A package registers an authenticator at start-up. When a request's Authorization header is
no client's key and secret, each authenticator is asked in turn; one that recognises the
header answers with the client the request acts as (its scopes and authority) and a
Restriction. The LRS shows the restriction every statement batch (after xAPI validation,
before storing) and every document request, and the restriction refuses what its purpose
does not allow by raising XapiError (403). The LRS knows nothing of the purposes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app

from lrs.models import LrsClient


@dataclass(frozen=True)
class DocumentRequest:
    """A request to the State, Activity Profile or Agent Profile resource."""

    kind: str  # lrs.documents.STATE, ACTIVITY_PROFILE or AGENT_PROFILE
    method: str
    activity_id: str
    agent_key: str
    registration: str
    #: The stateId or profileId; None when the request is about every document of the scope.
    document_id: str | None
    content_type: str
    body: bytes


class Restriction(Protocol):
    def check_statements(self, statements: Sequence[dict[str, Any]]) -> None:
        """Refuse (XapiError) a batch the credentials may not store."""

    def check_document(self, request: DocumentRequest) -> None:
        """Refuse (XapiError) a document request the credentials may not make; may record it."""


@dataclass(frozen=True)
class Restricted:
    client: LrsClient
    restriction: Restriction


Authenticator = Callable[[str], Restricted | None]
_KEY = "lrs.authenticators"


def register_authenticator(app: Flask, authenticator: Authenticator) -> None:
    """Have ``authenticator`` try the Authorization headers that name no client."""
    app.extensions.setdefault(_KEY, []).append(authenticator)


def authenticate_restricted(authorization: str | None) -> Restricted | None:
    if not authorization:
        return None
    for authenticator in current_app.extensions.get(_KEY, []):
        restricted: Restricted | None = authenticator(authorization)
        if restricted is not None:
            return restricted
    return None
