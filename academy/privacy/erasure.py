"""Erasure of a person who has left: requested by an HR officer, approved by an admin, carried out by a job.

The person's name, email, employee number and identifiers are removed; the person's row stays,
under a random pseudonym, so that the learning they did still counts in every aggregate and
coverage year. Whatever else keeps something under their identifiers (the LRS, credentials)
hears ``academy.org.events.person_erased`` in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, delete, or_, select

from academy.audit.models import AuditEntry
from academy.audit.services import record_audit
from academy.auth.models import HrScope, User, UserRole, UserSession
from academy.db import db
from academy.ifi import ifi_key
from academy.org.events import ErasedPerson, announce_person_erased
from academy.org.models import IdentifierKind, Person, PersonIdentifier, PersonStatus
from academy.privacy.models import CorrectionRequest, ErasureRequest, ErasureStatus
from academy.projections import lock_people

ERASED = "[erased]"


class ErasureRefused(ValueError):
    """The request cannot be made or carried out (the person is active, or a request is pending)."""


def pending_erasure(person: Person) -> ErasureRequest | None:
    return db.session.scalar(
        select(ErasureRequest).where(
            ErasureRequest.person_id == person.id, ErasureRequest.status == ErasureStatus.REQUESTED
        )
    )


def request_erasure(person: Person, reason: str, requested_by: User) -> ErasureRequest:
    """Ask for a person who has left to be erased; only inactive people, one pending request at a time."""
    if person.status is not PersonStatus.INACTIVE:
        raise ErasureRefused("only people who have left (inactive) can be erased")
    if pending_erasure(person) is not None:
        raise ErasureRefused("an erasure of this person is already waiting for approval")
    request = ErasureRequest(person=person, reason=reason.strip(), requested_by_id=requested_by.id)
    db.session.add(request)
    db.session.flush()
    return request


def approved(request: ErasureRequest) -> bool:
    """Approved by an admin and waiting for (or in) its background job."""
    return request.status is ErasureStatus.REQUESTED and request.decided_at is not None


def reject_erasure(request: ErasureRequest, admin: User) -> None:
    if request.status is not ErasureStatus.REQUESTED or request.decided_at is not None:
        raise ErasureRefused("this request has already been decided")
    request.status, request.decided_by_id, request.decided_at = ErasureStatus.REJECTED, admin.id, datetime.now(UTC)
    db.session.flush()


def approve_erasure(request: ErasureRequest, admin: User) -> None:
    """Approve the request; the erasure itself runs as a background job (:func:`carry_out_erasure`)."""
    if request.status is not ErasureStatus.REQUESTED or request.decided_at is not None:
        raise ErasureRefused("this request has already been decided")
    request.decided_by_id, request.decided_at = admin.id, datetime.now(UTC)
    db.session.flush()


def carry_out_erasure(request: ErasureRequest, home_page: str) -> dict[str, int] | None:
    """Erase the approved request's person (flushes; the caller's one transaction commits it all).

    None when it was carried out already: a second delivery, or a second job, erases nothing twice.
    """
    if request.status is ErasureStatus.DONE:
        return None
    if not approved(request):
        raise ErasureRefused("this request is not approved")
    approver = db.session.get(User, request.decided_by_id) if request.decided_by_id else None
    pseudonym, counts = erase_person(request.person, home_page, by=approver)
    request.status, request.pseudonym = ErasureStatus.DONE, pseudonym
    db.session.flush()
    return counts


def former_keys(person: Person) -> frozenset[str]:
    """Every identifier key the person is known by: registered ones, and their email as mbox and mbox_sha1sum."""
    keys = {identifier.key for identifier in person.identifiers}
    addresses = [key[len("mbox:mailto:") :] for key in keys if key.startswith("mbox:mailto:")]
    if person.email:
        addresses.append(person.email.strip().lower())
    for address in addresses:
        keys.add(ifi_key("mbox", f"mailto:{address}"))
        keys.add(ifi_key("mbox_sha1sum", hashlib.sha1(f"mailto:{address}".encode()).hexdigest()))
    # An address that another person has registered as theirs (a shared mailbox) stays theirs.
    others = db.session.scalars(
        select(PersonIdentifier.key).where(PersonIdentifier.key.in_(keys), PersonIdentifier.person_id != person.id)
    )
    return frozenset(keys - set(others))


def needles_of(person: Person, user: User | None) -> list[str]:
    """The strings that must not survive the erasure anywhere: names, email, employee number, identifier values."""
    values = {
        person.first_name_th,
        person.last_name_th,
        person.first_name_en,
        person.last_name_en,
        person.full_name_th,
        person.full_name_en,
        person.email or "",
        person.employee_no,
        str(person.public_id),
    }
    for key in former_keys(person):
        values.add(key.split(":", 1)[1].split(" ", 1)[-1].removeprefix("mailto:"))
    if user is not None:
        values |= {user.email, user.display_name}
    # Short values (a two-letter name) would scrub unrelated text: only whole, meaningful ones.
    return sorted((v for v in values if len(v.strip()) >= 3), key=len, reverse=True)


def scrub_text(text: str, needles: Iterable[str]) -> str:
    for needle in needles:
        text = text.replace(needle, ERASED)
    return text


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, needles)
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, dict):
        return {_scrub(key, needles): _scrub(item, needles) for key, item in value.items()}
    return value


def erase_person(person: Person, home_page: str, *, by: User | None = None) -> tuple[str, dict[str, int]]:
    """Remove the person's identifying data everywhere; return the pseudonym and the counts. Flushes."""
    if person.status is not PersonStatus.INACTIVE:
        raise ErasureRefused("only people who have left (inactive) can be erased")
    # No statement batch projects this person while their identifiers change (academy.projections).
    lock_people([person.id])
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    needles = needles_of(person, user)
    keys = former_keys(person)
    old_public_id = str(person.public_id)
    pseudonym = f"erased-{secrets.token_hex(8)}"
    pseudonym_key = ifi_key("account", pseudonym, home_page)
    agent = {"objectType": "Agent", "account": {"homePage": home_page, "name": pseudonym}}

    counts = announce_person_erased(
        ErasedPerson(
            person_id=person.id,
            user_id=user.id if user else None,
            former_keys=keys,
            pseudonym_agent=agent,
            pseudonym_key=pseudonym_key,
        )
    )

    db.session.execute(delete(PersonIdentifier).where(PersonIdentifier.person_id == person.id))
    db.session.expire(person, ["identifiers"])
    db.session.add(PersonIdentifier(person_id=person.id, kind=IdentifierKind.ACCOUNT, key=pseudonym_key))
    person.public_id = uuid.uuid4()
    person.employee_no = pseudonym
    person.title_th = person.title_en = ""
    person.first_name_th = person.first_name_en = pseudonym
    person.last_name_th = person.last_name_en = ""
    person.email = None
    person.updated_at = datetime.now(UTC)
    removed = db.session.execute(delete(CorrectionRequest).where(CorrectionRequest.person_id == person.id))
    counts["corrections_removed"] = int(getattr(removed, "rowcount", 0) or 0)
    if user is not None:
        _erase_user(user, pseudonym)
    counts["audit_entries_scrubbed"] = _scrub_audit(needles, old_public_id, str(person.public_id), user, pseudonym)
    for request in db.session.scalars(select(ErasureRequest).where(ErasureRequest.person_id == person.id)):
        request.reason = scrub_text(request.reason, needles)
    db.session.flush()
    record_audit(
        "person.erase",
        actor=by.email if by else None,
        user_id=by.id if by else None,
        target_type="person",
        target_id=person.public_id,
        details={"pseudonym": pseudonym, **counts},
    )
    return pseudonym, counts


def _erase_user(user: User, pseudonym: str) -> None:
    """Deactivate and de-identify the person's account: no address, no password, no sessions, no roles."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    db.session.execute(delete(HrScope).where(HrScope.user_id == user.id))
    db.session.expire(user, ["role_rows", "scope_rows"])
    user.email = f"{pseudonym}@erased.invalid"
    user.display_name = ""
    user.password_hash = "!erased"  # matches no password
    user.active = False
    user.preferred_locale = None
    user.last_login_at = None


def _scrub_audit(needles: list[str], old_public_id: str, new_public_id: str, user: User | None, pseudonym: str) -> int:
    """Replace the person's data in the audit log: their entries' actor, the targets, any mention in details."""
    # JSON text may hold non-ASCII as \\u escapes: look for both spellings.
    spellings = {form for needle in needles for form in (needle, json.dumps(needle)[1:-1])}
    text = cast(AuditEntry.details, Text)
    mentions = [text.contains(spelling, autoescape=True) for spelling in spellings]
    mentions += [AuditEntry.actor.in_(needles), AuditEntry.target_id == old_public_id]
    if user is not None:
        mentions.append(AuditEntry.user_id == user.id)
    count = 0
    for entry in db.session.scalars(select(AuditEntry).where(or_(*mentions))):
        if user is not None and entry.user_id == user.id:
            entry.actor = pseudonym
        if entry.target_id == old_public_id:
            entry.target_id = new_public_id
        entry.actor = scrub_text(entry.actor, needles)
        entry.details = _scrub(entry.details, needles)
        count += 1
    return count
