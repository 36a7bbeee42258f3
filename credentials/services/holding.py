"""What a holder sees and does: their credentials, the CLR of their transcript, the share setting;
the status lists the platform serves; an administrator's revocation."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from academy.audit.services import record_audit
from academy.dates import fiscal_year_of, today, utcnow
from academy.db import db
from academy.org.models import Person
from credentials.models import CredentialKind, CredentialRevocation, IssuedCredential, RevocationReason
from credentials.services.documents import clr_document, status_list_document, verification_method_id
from credentials.services.issuing import allocate_ids, revoke_credentials, signed_row
from credentials.services.keys import signing_key
from credentials.services.signing import sign_document


def held_credentials(person_id: int, kind: CredentialKind | None = CredentialKind.BADGE) -> list[IssuedCredential]:
    """A person's credentials, newest earning first (revoked ones too: the page says so)."""
    query = select(IssuedCredential).where(IssuedCredential.person_id == person_id)
    if kind is not None:
        query = query.where(IssuedCredential.kind == kind)
    return list(db.session.scalars(query.order_by(IssuedCredential.valid_from.desc(), IssuedCredential.id.desc())))


def credential_by_id(credential_id: uuid.UUID) -> IssuedCredential | None:
    return db.session.scalar(select(IssuedCredential).where(IssuedCredential.credential_id == credential_id))


def document_of(credential: IssuedCredential) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(credential.document)
    return result


def set_share_name(credential: IssuedCredential, share: bool) -> None:
    """Whether whoever opens the credential's link sees its holder's name."""
    credential.share_name = share
    db.session.flush()


def issue_clr(person: Person, fiscal_year: int | None = None) -> IssuedCredential | None:
    """The ClrCredential of a person's transcript (or of one fiscal year, BE): every badge they hold, as issued.

    A new one is issued only when the badges it would hold differ from the last one's; None when there are none.
    """
    badges = [
        credential
        for credential in held_credentials(person.id)
        if credential.revocation is None
        and (fiscal_year is None or fiscal_year_of(today(credential.valid_from)) == fiscal_year)
    ]
    if not badges:
        return None
    badges.sort(key=lambda credential: (credential.valid_from, credential.id))
    source_key = f"clr:{fiscal_year or 'all'}"
    wanted = [str(credential.credential_id) for credential in badges]
    last = db.session.scalar(
        select(IssuedCredential)
        .outerjoin(CredentialRevocation, CredentialRevocation.credential_pk == IssuedCredential.id)
        .where(
            IssuedCredential.person_id == person.id,
            IssuedCredential.kind == CredentialKind.CLR,
            IssuedCredential.source_key == source_key,
            CredentialRevocation.credential_pk.is_(None),
        )
        .order_by(IssuedCredential.id.desc())
        .limit(1)
    )
    if last is not None and _held_ids(last) == wanted:
        return last
    key = signing_key()
    now = datetime.now(UTC).replace(microsecond=0)
    (row_id,) = allocate_ids(1)
    credential_id = uuid.uuid4()
    if fiscal_year is None:
        title_th, title_en = "ระเบียนผลการเรียนรู้ทั้งหมด", "Complete learning record"
    else:
        title_th, title_en = (
            f"ระเบียนผลการเรียนรู้ ปีงบประมาณ {fiscal_year}",
            f"Learning record, fiscal year {fiscal_year} BE",
        )
    document = clr_document(
        person.public_id,
        [document_of(credential) for credential in badges],
        credential_id,
        row_id,
        now,
        f"{title_th} / {title_en}",
        partial=fiscal_year is not None,
    )
    signed = signed_row(
        key, row_id, credential_id, person.id, CredentialKind.CLR, source_key, title_th, title_en, now, document, now
    )
    credential = IssuedCredential(**signed.row)
    db.session.add(credential)
    db.session.flush()
    return credential


def _held_ids(credential: IssuedCredential) -> list[str]:
    subject = document_of(credential).get("credentialSubject") or {}
    return [str(item.get("id", "")).removeprefix("urn:uuid:") for item in subject.get("verifiableCredential") or []]


def revoke_by_admin(credential: IssuedCredential, note: str, user_id: int) -> bool:
    """An administrator's revocation, with its reason, audited; False if it was revoked already."""
    if not revoke_credentials([credential.id], RevocationReason.ADMIN, note=note, revoked_by_id=user_id):
        return False
    record_audit(
        "credential.revoke",
        target_type="credential",
        target_id=credential.credential_id,
        details={"reason": note, "title": credential.title_en},
    )
    db.session.expire(credential)
    return True


def revoke_person_credentials(
    person_id: int, reason: RevocationReason = RevocationReason.ERASED, note: str = "", revoked_by_id: int | None = None
) -> int:
    """Revoke every credential a person holds (their data erased, say); return how many were standing."""
    pks = [credential.id for credential in held_credentials(person_id, kind=None) if credential.revocation is None]
    return revoke_credentials(pks, reason, note=note, revoked_by_id=revoked_by_id)


def forget_person_credentials(person_id: int) -> int:
    """Replace the stored documents of a person's credentials by their ids alone (erasure); return how many."""
    credentials = list(db.session.scalars(select(IssuedCredential).where(IssuedCredential.person_id == person_id)))
    for credential in credentials:
        credential.document = json.dumps({"id": f"urn:uuid:{credential.credential_id}", "erased": True})
        credential.share_name = False
    db.session.flush()
    return len(credentials)


def status_list_count() -> int:
    return int(db.session.scalar(select(func.max(IssuedCredential.status_list))) or 0)


def signed_status_list(number: int) -> dict[str, Any] | None:
    """The signed BitstringStatusListCredential of list ``number``; None if no credential uses it."""
    if number < 1 or number > status_list_count():
        return None
    revoked = list(
        db.session.scalars(
            select(IssuedCredential.status_index)
            .join(CredentialRevocation, CredentialRevocation.credential_pk == IssuedCredential.id)
            .where(IssuedCredential.status_list == number)
            .order_by(IssuedCredential.status_index)
        )
    )
    changed = db.session.scalar(
        select(func.max(CredentialRevocation.revoked_at))
        .join(IssuedCredential, CredentialRevocation.credential_pk == IssuedCredential.id)
        .where(IssuedCredential.status_list == number)
    )
    key = signing_key()
    moment = (changed or utcnow()).replace(microsecond=0)
    return sign_document(
        status_list_document(number, revoked, moment), key.private, verification_method_id(key.key_id), moment
    )
