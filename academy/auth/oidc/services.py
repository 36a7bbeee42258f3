"""Who an OpenID Connect sign-in is: identities, the person the ID claim names, accounts made just in time.

Functions flush, never commit. A refusal raises ``SignInRefused`` before anything is added,
so that the caller's rollback leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import joinedload, lazyload

from academy.auth.models import Role, User, UserRole
from academy.auth.oidc.models import OidcIdentity
from academy.auth.services import get_user_by_email
from academy.config import OidcProviderSettings
from academy.db import db
from academy.org.identity import citizen_id_hash, citizen_id_problem, subject_hash
from academy.org.models import Person, PersonStatus

#: A password hash that no password matches: accounts made at sign-in have no password.
NO_PASSWORD = "!oidc"


class SignInRefused(Exception):
    """The provider vouched for someone this platform does not let in; ``reason`` names the page to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignInResult:
    user: User
    #: The account was made by this sign-in.
    created: bool
    #: The provider says it used a second factor (an ``amr``/``acr`` value it is configured with).
    second_factor: bool


def _subject(settings: OidcProviderSettings, claims: Mapping[str, Any]) -> str:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise SignInRefused("bad_token")
    return subject_hash(settings.name, sub)


#: A sign-in reads no roles or HR scopes (the next request loads them): without this, loading a user
#: costs two more queries (the relationships are ``selectin``).
_WITHOUT_ROLES = (lazyload(User.role_rows), lazyload(User.scope_rows))


def find_identity(settings: OidcProviderSettings, claims: Mapping[str, Any]) -> OidcIdentity | None:
    # With its user and the user's person in the same query: a sign-in is a handful of round trips.
    user = joinedload(OidcIdentity.user)
    return db.session.scalar(
        select(OidcIdentity)
        .options(user.joinedload(User.person), *(user.options(option) for option in _WITHOUT_ROLES))
        .where(OidcIdentity.provider == settings.name, OidcIdentity.subject_hash == _subject(settings, claims))
    )


def _person_condition(settings: OidcProviderSettings, claims: Mapping[str, Any]) -> ColumnElement[bool]:
    """How the claims name a person: the citizen ID's hash, or a verified email of an allowed domain."""
    if settings.id_claim:
        value = claims.get(settings.id_claim)
        if value is not None and not isinstance(value, str):
            value = str(value)
        if not value or citizen_id_problem(value):
            raise SignInRefused("no_citizen_id")
        return Person.citizen_id_hash == citizen_id_hash(value)
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SignInRefused("no_email")
    email = email.strip().lower()
    if email.rpartition("@")[2] not in settings.email_domains:
        raise SignInRefused("email_domain")
    if claims.get("email_verified") is False:
        raise SignInRefused("email_unverified")
    return Person.email == email


def person_of_claims(settings: OidcProviderSettings, claims: Mapping[str, Any]) -> Person | None:
    """The person the claims name: by the citizen ID's hash, or by a verified email of an allowed domain."""
    return db.session.scalar(select(Person).where(_person_condition(settings, claims)))


def _person_and_account(settings: OidcProviderSettings, claims: Mapping[str, Any]) -> tuple[Person | None, User | None]:
    """The person the claims name and the account that already follows them, in one query."""
    found = db.session.execute(
        select(Person, User)
        .outerjoin(User, User.person_id == Person.id)
        .options(*_WITHOUT_ROLES)
        .where(_person_condition(settings, claims))
        .limit(1)
    ).first()
    if found is None:
        return None, None
    person, user = found
    return person, user


def asserts_second_factor(settings: OidcProviderSettings, claims: Mapping[str, Any]) -> bool:
    if not settings.mfa_amr:
        return False
    amr = claims.get("amr") or []
    values = {str(value) for value in amr} if isinstance(amr, list) else {str(amr)}
    if claims.get("acr"):
        values.add(str(claims["acr"]))
    return bool(values & set(settings.mfa_amr))


def sign_in_with_claims(settings: OidcProviderSettings, claims: Mapping[str, Any]) -> SignInResult:
    """The user these verified claims sign in, made just in time at the first sign-in; raises SignInRefused."""
    identity = find_identity(settings, claims)
    created = False
    if identity is not None:
        user = identity.user
    else:
        person, existing = _person_and_account(settings, claims)
        if person is None:
            raise SignInRefused("unknown_person")
        if person.status is not PersonStatus.ACTIVE:
            raise SignInRefused("inactive_person")
        if existing is None:
            user, created = _create_learner(person), True
        else:
            user = existing
    if not user.active:
        raise SignInRefused("account_disabled")
    if user.person is not None and user.person.status is not PersonStatus.ACTIVE:
        raise SignInRefused("inactive_person")
    now = datetime.now(UTC)
    if identity is None:
        identity = _identity_for(user, settings, claims, new_user=created, now=now)
    else:
        identity.last_used_at = now
    user.last_login_at = now
    # One flush: the new account, its role and identity are inserted together, or the two
    # times of a returning sign-in updated together.
    db.session.flush()
    return SignInResult(user=user, created=created, second_factor=asserts_second_factor(settings, claims))


def _identity_for(
    user: User, settings: OidcProviderSettings, claims: Mapping[str, Any], *, new_user: bool, now: datetime
) -> OidcIdentity:
    """The user's identity at this provider, pointed at this subject (a provider may change a person's ``sub``)."""
    identity = (
        None
        if new_user
        else db.session.scalar(
            select(OidcIdentity).where(OidcIdentity.user_id == user.id, OidcIdentity.provider == settings.name)
        )
    )
    if identity is None:
        # By the relationship: a new user has no id before the flush that inserts it with this.
        identity = OidcIdentity(user=user, provider=settings.name, subject_hash=_subject(settings, claims))
        db.session.add(identity)
    else:
        identity.subject_hash = _subject(settings, claims)
    identity.last_used_at = now
    return identity


def _create_learner(person: Person) -> User:
    """A learner account for a person of the HR data: no password, roles beyond learner only from admins."""
    email = (person.email or "").lower()
    if not email or get_user_by_email(email) is not None:
        # The email column is unique: a person without a free one gets a stand-in that never receives mail.
        email = f"{person.public_id}@people.invalid"
    user = User(
        email=email,
        password_hash=NO_PASSWORD,
        display_name=person.full_name_th or person.full_name_en,
        person=person,
        active=True,
    )
    # Added, not flushed: the caller's one flush inserts the account with its role and identity.
    user.role_rows = [UserRole(role=Role.LEARNER)]
    db.session.add(user)
    return user


def link_identity(user: User, settings: OidcProviderSettings, claims: Mapping[str, Any]) -> OidcIdentity:
    """Link a provider's subject to a signed-in user; raises SignInRefused when it cannot be."""
    identity = find_identity(settings, claims)
    if identity is not None:
        raise SignInRefused("already_linked" if identity.user_id == user.id else "identity_taken")
    if db.session.scalar(
        select(OidcIdentity.id).where(OidcIdentity.user_id == user.id, OidcIdentity.provider == settings.name)
    ):
        raise SignInRefused("provider_linked")
    if user.person is None and settings.id_claim:
        # The provider vouched for the citizen ID: the account follows that person's HR record too.
        person = person_of_claims(settings, claims)
        if person is not None and db.session.scalar(select(User.id).where(User.person_id == person.id)) is None:
            user.person = person
    identity = OidcIdentity(
        user_id=user.id,
        provider=settings.name,
        subject_hash=_subject(settings, claims),
        last_used_at=datetime.now(UTC),
    )
    db.session.add(identity)
    db.session.flush()
    return identity


def identities_of(user_id: int) -> list[OidcIdentity]:
    return list(
        db.session.scalars(select(OidcIdentity).where(OidcIdentity.user_id == user_id).order_by(OidcIdentity.provider))
    )


def unlink_identity(identity: OidcIdentity) -> None:
    db.session.delete(identity)
    db.session.flush()
