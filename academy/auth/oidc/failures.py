"""What each way an OpenID Connect sign-in can fail says to the person: what happened, what to do."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError


@dataclass(frozen=True)
class Failure:
    status: int
    title: LazyString
    happened: LazyString
    todo: LazyString


_UNVERIFIED = _l("The sign-in could not be verified")
_TRY_AGAIN = _l("Go back to the sign-in page and try again.")
_SECURITY = _l(
    "The answer from the identity provider could not be trusted, so you were not signed in. "
    "Try again; if it happens again, tell the academy's support team the time it happened."
)

FAILURES: dict[str, Failure] = {
    "cancelled": Failure(
        400,
        _l("Sign-in cancelled"),
        _l("You cancelled the sign-in at the identity provider, or did not give consent."),
        _l("To sign in, start again and allow the academy to receive your name and citizen ID."),
    ),
    "provider_error": Failure(
        502,
        _l("The identity provider refused the sign-in"),
        _l("The identity provider answered with an error."),
        _TRY_AGAIN,
    ),
    "provider_down": Failure(
        502,
        _l("The identity provider does not answer"),
        _l("The identity provider could not be reached, or gave an answer that could not be read."),
        _l("Wait a few minutes and try again, or sign in another way."),
    ),
    "state": Failure(
        400,
        _l("This sign-in link has already been used or has expired"),
        _l("The answer from the identity provider does not belong to a sign-in started in this browser."),
        _TRY_AGAIN,
    ),
    "signature": Failure(400, _UNVERIFIED, _l("The identity token's signature is not valid."), _SECURITY),
    "expired": Failure(
        400,
        _l("The sign-in has expired"),
        _l("The identity token has expired or is not yet valid (check your device's clock)."),
        _TRY_AGAIN,
    ),
    "audience": Failure(400, _UNVERIFIED, _l("The identity token was not issued to this academy."), _SECURITY),
    "issuer": Failure(400, _UNVERIFIED, _l("The identity token comes from another issuer."), _SECURITY),
    "nonce": Failure(400, _UNVERIFIED, _l("The identity token does not belong to this sign-in."), _SECURITY),
    "bad_token": Failure(400, _UNVERIFIED, _l("The identity token is incomplete."), _SECURITY),
    "no_citizen_id": Failure(
        403,
        _l("The identity provider did not give your citizen ID"),
        _l("The academy finds your record by your citizen ID, and the identity provider did not send one."),
        _l("Start again and allow the academy to receive your citizen ID."),
    ),
    "unknown_person": Failure(
        403,
        _l("Your record is not in the academy yet"),
        _l("You were identified, but the HR data of the academy has no civil servant with your citizen ID."),
        _l(
            "Ask the HR officer of your agency to check that you are in the agency's HR import with your citizen ID. "
            "You can sign in once the next import includes you."
        ),
    ),
    "inactive_person": Failure(
        403,
        _l("Your record is not active"),
        _l("Your agency's HR data marks you as no longer in service, so the academy does not let you in."),
        _l("If you are still in service, ask the HR officer of your agency to correct your record."),
    ),
    "account_disabled": Failure(
        403,
        _l("Your account is disabled"),
        _l("An academy administrator has disabled your account."),
        _l("Contact the academy's administrators if you think this is a mistake."),
    ),
    "no_email": Failure(
        403,
        _l("The identity provider did not give your email"),
        _l("This identity provider signs people in by their work email, and it did not send one."),
        _l("Start again and allow the academy to receive your email, or sign in another way."),
    ),
    "email_domain": Failure(
        403,
        _l("Your email's domain is not allowed here"),
        _l("This identity provider may only sign in people of the email domains the academy allows."),
        _l("Sign in with ThaID or DGA Digital ID, or ask the academy's administrators to allow your agency's domain."),
    ),
    "email_unverified": Failure(
        403,
        _l("Your email is not verified"),
        _l("The identity provider says your email address has not been verified."),
        _l("Verify your email at the identity provider, then try again."),
    ),
    "identity_taken": Failure(
        409,
        _l("This identity belongs to another account"),
        _l("The identity you signed in with is already linked to another academy account."),
        _l("Ask an academy administrator to unlink it from the other account first."),
    ),
    "already_linked": Failure(
        409,
        _l("Already linked"),
        _l("This identity is already linked to your account."),
        _l("Nothing more to do: you can sign in with it."),
    ),
    "provider_linked": Failure(
        409,
        _l("Another identity of this provider is linked"),
        _l("Your account is already linked to an identity at this provider."),
        _l("Ask an academy administrator to unlink it first."),
    ),
}


def failure_of_token_error(error: JoseError) -> str:
    """Which failure a verification error of the id_token is."""
    if isinstance(error, ExpiredTokenError):
        return "expired"
    if isinstance(error, ClaimError):
        return {"aud": "audience", "iss": "issuer", "nonce": "nonce", "iat": "expired", "nbf": "expired"}.get(
            error.claim, "bad_token"
        )
    return "signature"
