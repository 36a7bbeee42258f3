"""OpenID Connect sign-in (ThaID, DGA Digital ID, an agency's own provider), linking and unlinking."""

from __future__ import annotations

import json
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from joserfc.errors import JoseError

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.models import User
from academy.auth.oidc.clients import LEEWAY_SECONDS, client_for, configured_providers, get_provider, redirect_uri
from academy.auth.oidc.failures import FAILURES, failure_of_token_error
from academy.auth.oidc.models import OidcIdentity
from academy.auth.oidc.services import SignInRefused, identities_of, link_identity, sign_in_with_claims, unlink_identity
from academy.auth.permissions import admin_required
from academy.auth.redirects import safe_redirect_target
from academy.auth.session_store import sign_in
from academy.config import OidcProviderSettings
from academy.db import db
from academy.extensions import limiter
from academy.transactions import commit_on_success

bp = Blueprint("oidc", __name__, template_folder="templates")

#: Session keys: where to go after the sign-in, the user who is linking, the provider and id_token
#: of the current sign-in (for RP-initiated logout), and the MFA helper's contract.
NEXT_KEY = "oidc_next"
LINK_KEY = "oidc_link_user"
SIGNED_IN_KEY = "oidc_signed_in"
SECOND_FACTOR_KEY = "second_factor"


def _provider_or_404(name: str) -> OidcProviderSettings:
    settings = get_provider(name)
    if settings is None:
        abort(404)
    return settings


def _start(settings: OidcProviderSettings) -> ResponseReturnValue:
    client = client_for(settings)
    extra: dict[str, str] = {"ui_locales": _ui_locale()}
    if settings.mfa_amr:
        # amr and acr are returned only when asked for (OpenID Connect Core 5.5.1.1).
        extra["claims"] = json.dumps({"id_token": {"amr": None, "acr": None}})
    try:
        return client.authorize_redirect(redirect_uri(settings), **extra)
    except (requests.RequestException, ValueError, KeyError, RuntimeError):
        # The discovery document could not be fetched or read.
        return _failed(settings, "provider_down", audit=True)


def _ui_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "th")


@bp.get("/login/oidc/<name>")
@no_store
def start(name: str) -> ResponseReturnValue:
    settings = _provider_or_404(name)
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    session.pop(LINK_KEY, None)
    session[NEXT_KEY] = safe_redirect_target(request.args.get("next"))
    return _start(settings)


def _login_limit() -> str:
    return str(current_app.config["ACADEMY_LOGIN_RATE_LIMIT"])


@bp.get("/login/oidc/<name>/callback")
@limiter.limit(
    _login_limit,
    key_func=lambda: f"oidc-callback:{get_remote_address()}",
    scope="oidc-callback",
    deduct_when=lambda response: response.status_code >= 400,  # each refusal is also an audit row
)
@no_store
@commit_on_success
def callback(name: str) -> ResponseReturnValue:
    settings = _provider_or_404(name)
    linking = current_user.is_authenticated and session.get(LINK_KEY) == current_user.id
    session.pop(LINK_KEY, None)
    try:
        token = _verified_token(settings)
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise _Failed("bad_token")
        if settings.id_claim and settings.id_claim not in claims and "access_token" in token:
            claims = {**_userinfo(settings, token), **claims}
        if linking:
            return _link(settings, claims)
        if current_user.is_authenticated:
            return redirect(url_for("portal.home"))
        result = sign_in_with_claims(settings, claims)
    except _Failed as failure:
        return _failed(settings, failure.reason, audit=True)
    except SignInRefused as refusal:
        db.session.rollback()  # whatever was begun is not kept
        return _failed(settings, refusal.reason, audit=True, linking=linking)
    next_url = session.pop(NEXT_KEY, None) or url_for("portal.home")
    data: dict[str, Any] = {SIGNED_IN_KEY: {"provider": settings.name, "id_token": token.get("id_token", "")}}
    if result.second_factor:
        data[SECOND_FACTOR_KEY] = f"provider:{settings.name}"
    # The session row is inserted with these keys: the response writes nothing more.
    session_id = sign_in(result.user, remember=False, data=data)
    # The audit entries are inserted by the commit, together (no flush each).
    record_audit(
        "auth.login",
        target_type="user",
        target_id=result.user.id,
        details={
            "method": "oidc",
            "provider": settings.name,
            "outcome": "success",
            "created": result.created,
            "second_factor": result.second_factor,
            "session": session_id,
        },
        flush=False,
    )
    if result.created:
        record_audit(
            "user.create",
            target_type="user",
            target_id=result.user.id,
            details={"method": "oidc", "provider": settings.name, "person": result.user.person_id},
            flush=False,
        )
    return redirect(safe_redirect_target(next_url))


class _Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _verified_token(settings: OidcProviderSettings) -> dict[str, Any]:
    """The token response, its id_token verified (signature, iss, aud, exp, iat, nonce); else raise _Failed."""
    if request.args.get("error"):
        raise _Failed("cancelled" if request.args.get("error") == "access_denied" else "provider_error")
    client = client_for(settings)
    try:
        token = client.authorize_access_token(
            headers=dict(settings.token_headers),
            leeway=LEEWAY_SECONDS,
            # aud as well as iss: without it, Authlib checks only azp, and a token for another
            # client that names us as azp would pass.
            claims_options={
                "iss": {"essential": True, "values": [settings.issuer]},
                "aud": {"essential": True, "values": [settings.client_id]},
            },
        )
    except MismatchingStateError:
        raise _Failed("state") from None
    except OAuthError as error:
        raise _Failed("cancelled" if error.error == "access_denied" else "provider_error") from None
    except JoseError as error:
        raise _Failed(failure_of_token_error(error)) from None
    except (requests.RequestException, ValueError, KeyError, AuthlibBaseError):
        raise _Failed("provider_down") from None
    if not isinstance(token, dict) or not token.get("id_token") or not token.get("userinfo"):
        raise _Failed("bad_token")
    return token


def _userinfo(settings: OidcProviderSettings, token: dict[str, Any]) -> dict[str, Any]:
    """The userinfo endpoint's claims, for a provider that keeps the ID claim out of the id_token."""
    try:
        info = dict(client_for(settings).userinfo(token=token))
    except (requests.RequestException, ValueError, KeyError):
        raise _Failed("provider_down") from None
    if info.get("sub") != token["userinfo"].get("sub"):
        raise _Failed("bad_token")
    return info


def _failed(settings: OidcProviderSettings, reason: str, *, audit: bool, linking: bool = False) -> ResponseReturnValue:
    failure = FAILURES[reason]
    if audit:
        db.session.rollback()
        record_audit(
            "auth.identity_link_failed" if linking else "auth.login_failed",
            details={"method": "oidc", "provider": settings.name, "outcome": reason},
        )
        db.session.commit()  # the refusal is kept although the answer is an error
    session.pop(NEXT_KEY, None)
    return render_template("oidc/failed.html", failure=failure, reason=reason, provider=settings, linking=linking), (
        failure.status
    )


# --- linking an identity to a signed-in (password) account ----------------------------------------


@bp.get("/account/identities")
@no_store
@login_required
def identities() -> ResponseReturnValue:
    linked = identities_of(current_user.id)
    linked_names = {identity.provider for identity in linked}
    return render_template(
        "oidc/identities.html",
        linked=linked,
        providers={settings.name: settings for settings in configured_providers()},
        available=[settings for settings in configured_providers() if settings.name not in linked_names],
    )


@bp.post("/account/identities/<name>/link")
@login_required
def link(name: str) -> ResponseReturnValue:
    settings = _provider_or_404(name)
    session[LINK_KEY] = current_user.id
    return _start(settings)


def _link(settings: OidcProviderSettings, claims: dict[str, Any]) -> ResponseReturnValue:
    user = db.session.get(User, current_user.id)
    assert user is not None
    identity = link_identity(user, settings, claims)
    record_audit(
        "auth.identity_link",
        target_type="user",
        target_id=user.id,
        details={"provider": settings.name, "identity": identity.id, "person": user.person_id},
    )
    flash(_("Your account is now linked to %(provider)s.", provider=label_of(settings)), "success")
    return redirect(url_for("oidc.identities"))


@bp.post("/admin/users/<int:user_id>/identities/<int:identity_id>/unlink")
@admin_required
@commit_on_success
def unlink(user_id: int, identity_id: int) -> ResponseReturnValue:
    identity = db.session.get(OidcIdentity, identity_id)
    if identity is None or identity.user_id != user_id:
        abort(404)
    record_audit(
        "auth.identity_unlink",
        target_type="user",
        target_id=user_id,
        details={"provider": identity.provider, "identity": identity.id},
    )
    unlink_identity(identity)
    flash(_("The identity was unlinked."), "success")
    return redirect(url_for("auth.edit_user", user_id=user_id))


# --- sign-out at the provider (RP-initiated logout) --------------------------------------------------


def provider_logout_url() -> str | None:
    """Where to send the browser to end the provider's session too, if this session came from one that offers it.

    Called by the sign-out view before the session is cleared.
    """
    signed_in = session.get(SIGNED_IN_KEY)
    if not isinstance(signed_in, dict):
        return None
    settings = get_provider(str(signed_in.get("provider", "")))
    if settings is None:
        return None
    client = client_for(settings)
    try:
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        result = client.create_logout_url(
            post_logout_redirect_uri=current_app.config["ACADEMY_BASE_URL"] + url_for("auth.login"),
            id_token_hint=signed_in.get("id_token") or None,
            client_id=settings.client_id,
        )
    except (requests.RequestException, ValueError, KeyError, RuntimeError):
        return None  # the provider is away: the local session still ends
    return str(result["url"])


def label_of(settings: OidcProviderSettings) -> str:
    return settings.label_th if _ui_locale() == "th" else settings.label_en
