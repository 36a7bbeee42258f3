"""Who is calling the REST API, what they may see, and how often they may call.

An agency's HR system sends its token as ``Authorization: Bearer ...`` and sees that
agency and everything beneath it. An academy admin signed in to the portal may also
read (GET) the API with the session, once past the second factor, seeing everything; writing
always needs a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from academy.auth.permissions import can_administer
from academy.auth.second_factor import second_factor_satisfied
from academy.db import db
from academy.org.models import Agency
from academy.org.services import get_agency_by_code
from academy.replica import read_from_replica
from api.rest.errors import fail
from api.rest.models import ApiToken
from api.rest.tokens import authenticate_bearer, note_use

DEFAULT_RATE_LIMIT = "600 per minute"
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="E-Workforce Academy API"'}


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request."""

    #: The token used, or None for an admin's session.
    token: ApiToken | None
    #: The agencies the caller sees with everything beneath them; None means every agency.
    scope: list[Agency] | None
    #: Who acted, for the audit log and the rate-limit bucket.
    actor: str

    @property
    def rate_key(self) -> str:
        return f"token:{self.token.id}" if self.token is not None else f"user:{self.actor}"


def identify_caller() -> Caller | None:
    """The caller of this request, authenticated once and kept for the request."""
    if "api_caller" in g:
        return g.api_caller
    caller = None
    header = request.headers.get("Authorization")
    if header:
        token = authenticate_bearer(header)
        if token is not None:
            caller = Caller(token=token, scope=[token.agency], actor=f"api-token:{token.prefix}")
    elif request.method in _READ_METHODS and can_administer(current_user) and second_factor_satisfied():
        caller = Caller(token=None, scope=None, actor=current_user.email)
    g.api_caller = caller
    return caller


def current_caller() -> Caller:
    caller = identify_caller()
    assert caller is not None, "require_caller() runs before every API view"
    return caller


def require_caller() -> None:
    """Before each API request: 401 without a valid token (or an admin's session, for reading)."""
    caller = identify_caller()
    if caller is None:
        message = (
            "the token is missing, malformed, unknown or revoked"
            if request.headers.get("Authorization")
            else "send an API token: Authorization: Bearer <token>"
        )
        fail(401, message, headers=_CHALLENGE)
    if caller.token is not None and note_use(caller.token):
        # The request's edge: the note stands whatever the request does next.
        db.session.commit()
    if request.method in _READ_METHODS:
        # Reads go to the replica, if any; a token that wrote a moment ago reads its writes.
        wrote_at = caller.token.last_write_at if caller.token is not None else None
        read_from_replica(wrote_at.timestamp() if wrote_at is not None else None)
    elif caller.token is not None:
        # Stamped in the write's own transaction: it stands only if the write does.
        caller.token.last_write_at = datetime.now(UTC)


def rate_limit_key() -> str:
    """One bucket per token (or admin); unauthenticated calls share one per address."""
    caller = identify_caller()
    return caller.rate_key if caller is not None else f"address:{get_remote_address()}"


def rate_limit() -> str:
    return str(current_app.config.get("ACADEMY_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT)


# --- scope ------------------------------------------------------------------------------


def in_scope(agency: Agency) -> bool:
    scope = current_caller().scope
    return scope is None or any(agency.path.startswith(root.path) for root in scope)


def agency_or_404(code: str) -> Agency:
    """The agency with this code if the caller may see it; 404 otherwise (not even confirming it exists)."""
    agency = get_agency_by_code(code) if _plausible_code(code) else None
    if agency is None or not in_scope(agency):
        fail(404, f"no agency with the code {code!r} within your scope")
    return agency


def _plausible_code(code: str) -> bool:
    # Codes are short printable text; anything else (a NUL byte, say) cannot be one.
    return 0 < len(code) <= 20 and code.isprintable()
