"""Our own verifier: is this credential ours, signed, unchanged, not revoked, not expired — and if not, why.

It checks credentials of this academy's issuer (the keys it has ever signed with are in the
database); a credential of another issuer is reported as such, as we fetch nothing from the
network. A CLR's own proof is checked, then each credential it holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from academy.db import db
from credentials.jsonld import CONTEXT_FILES
from credentials.models import CredentialRevocation, IssuedCredential
from credentials.services.documents import issuer_id, status_list_url
from credentials.services.keys import public_key, verifier_for
from credentials.services.signing import ProofError, check_proof, proof_of

#: Every finding's code, and what it says (English; the pages translate it).
REASONS = {
    "valid": "The signature is valid: the academy issued this credential and it has not been changed.",
    "not_json": "This is not a credential: it is not a JSON object.",
    "not_credential": "This is not a verifiable credential (its type lacks VerifiableCredential).",
    "unknown_context": "The credential uses a JSON-LD context the academy does not know; it cannot be checked.",
    "no_proof": "The credential carries no proof.",
    "unsupported_proof": "The proof is not an eddsa-rdfc-2022 Data Integrity proof.",
    "wrong_purpose": "The proof is not for assertion.",
    "malformed_proof": "The proof is malformed.",
    "other_issuer": "The credential was not issued by this academy; it cannot be checked here.",
    "unknown_key": "The credential is signed with a key the academy never used.",
    "bad_signature": (
        "The document was changed after it was signed (or signed by another key): the signature does not match."
    ),
    "not_jsonld": "The credential is not valid JSON-LD.",
    "revoked": "The credential has been revoked.",
    "expired": "The credential has expired.",
    "not_yet_valid": "The credential is not valid yet.",
    "unknown_status": "The credential's status list is not one of the academy's.",
    "held_invalid": "A credential inside this record does not verify.",
}


@dataclass
class Verification:
    """The outcome: valid or not, each finding's code, and what the credential says."""

    valid: bool = False
    findings: list[str] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    #: The stored credential, when it is one of ours (its holder, whether they share their name).
    stored: IssuedCredential | None = None
    held: list[Verification] = field(default_factory=list)

    @property
    def signature_valid(self) -> bool:
        return "valid" in self.findings

    @property
    def revoked(self) -> bool:
        return "revoked" in self.findings

    @property
    def expired(self) -> bool:
        return "expired" in self.findings

    @property
    def tampered(self) -> bool:
        return "bad_signature" in self.findings

    @property
    def reasons(self) -> list[str]:
        return [REASONS[code] for code in self.findings]

    @property
    def types(self) -> list[str]:
        types = (self.credential or {}).get("type") or []
        return [types] if isinstance(types, str) else list(types)

    @property
    def is_clr(self) -> bool:
        return "ClrCredential" in self.types

    @property
    def valid_from(self) -> datetime | None:
        return _moment((self.credential or {}).get("validFrom"))

    @property
    def achievement(self) -> dict[str, Any]:
        subject = (self.credential or {}).get("credentialSubject") or {}
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        return achievement if isinstance(achievement, dict) else {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "findings": self.findings,
            "reasons": self.reasons,
            "id": (self.credential or {}).get("id"),
            "type": self.types,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "held": [item.as_dict() for item in self.held],
        }


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _contexts_known(document: dict[str, Any]) -> bool:
    contexts = document.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    return all(isinstance(context, dict) or context in CONTEXT_FILES for context in contexts)


def verify_credential(data: str | bytes | dict[str, Any], now: datetime | None = None) -> Verification:
    """Check a credential (JSON text or parsed) and say what holds and what does not."""
    result = Verification()
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError:
            result.findings.append("not_json")
            return result
    if not isinstance(data, dict):
        result.findings.append("not_json")
        return result
    result.credential = data
    if "VerifiableCredential" not in result.types:
        result.findings.append("not_credential")
        return result
    if not _contexts_known(data):
        result.findings.append("unknown_context")
        return result
    try:
        proof = proof_of(data)
    except ProofError as error:
        result.findings.append(error.code)
        return result
    method = proof["verificationMethod"]
    prefix = issuer_id() + "#"
    issuer = data.get("issuer")
    issuer_value = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not method.startswith(prefix) or issuer_value != issuer_id():
        result.findings.append("other_issuer")
        return result
    multibase = public_key(method[len(prefix) :])
    if multibase is None:
        result.findings.append("unknown_key")
        return result
    try:
        check_proof(data, verifier_for(multibase))
    except ProofError as error:
        result.findings.append(error.code)
        return result
    result.findings.append("valid")
    _check_status(data, result)
    now = now or datetime.now(UTC)
    valid_until = _moment(data.get("validUntil"))
    valid_from = _moment(data.get("validFrom"))
    if valid_until is not None and valid_until < now:
        result.findings.append("expired")
    if valid_from is not None and valid_from > now:
        result.findings.append("not_yet_valid")
    if result.is_clr:
        subject = data.get("credentialSubject") or {}
        for held in subject.get("verifiableCredential") or [] if isinstance(subject, dict) else []:
            result.held.append(verify_credential(held, now))
        if any(not item.valid for item in result.held):
            result.findings.append("held_invalid")
    result.valid = result.findings == ["valid"]
    return result


def _check_status(data: dict[str, Any], result: Verification) -> None:
    status = data.get("credentialStatus")
    if status is None:
        return
    entries = status if isinstance(status, list) else [status]
    for entry in entries:
        url = entry.get("statusListCredential") if isinstance(entry, dict) else None
        index = entry.get("statusListIndex") if isinstance(entry, dict) else None
        number = _list_number(url)
        if number is None or not str(index).isdigit():
            result.findings.append("unknown_status")
            continue
        row = db.session.execute(
            select(IssuedCredential, CredentialRevocation)
            .outerjoin(CredentialRevocation, CredentialRevocation.credential_pk == IssuedCredential.id)
            .where(IssuedCredential.status_list == number, IssuedCredential.status_index == int(str(index)))
        ).first()
        if row is None:
            result.findings.append("unknown_status")
            continue
        stored, revocation = row
        result.stored = stored
        if revocation is not None:
            result.findings.append("revoked")
            result.revoked_at = revocation.revoked_at
            result.revocation_reason = revocation.reason.value


def _list_number(url: object) -> int | None:
    if not isinstance(url, str):
        return None
    prefix = status_list_url(0)[:-1]
    tail = url[len(prefix) :] if url.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None
