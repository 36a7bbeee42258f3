"""Every kind of credential we issue, checked by an independent verifier (Digital Bazaar's vc,
data-integrity and eddsa-rdfc-2022-cryptosuite, in Node) and by 1EdTech's JSON Schemas."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from academy.db import db
from academy.org.models import Person
from credentials.services.documents import issuer_id, status_list_url, verification_method_id
from credentials.services.holding import document_of, held_credentials, issue_clr, signed_status_list
from credentials.services.keys import signing_key
from credentials.services.signing import sign_document
from tests.credentials.conftest import completion, void_as_player
from tests.support.credentials import independent_verify, schema_errors
from tests.support.lrs import Xapi


def every_kind(learner: Person) -> dict[str, dict]:
    """One credential of each kind the learner holds: course, provider's activity, competency level, CLR."""
    found: dict[str, dict] = {}
    for credential in held_credentials(learner.id):
        found.setdefault(credential.source_key.split(":", 1)[0], document_of(credential))
    clr = issue_clr(learner)
    assert clr is not None
    found["clr"] = document_of(clr)
    return found


def test_the_independent_verifier_accepts_every_kind_we_issue_and_1edtechs_schemas_too(
    complete_course: Callable[..., uuid.UUID], xapi: Xapi, aligned_activity: str, learner: Person
) -> None:
    complete_course()
    xapi("POST", "/xapi/statements", json_body=completion("somying@example.go.th", aligned_activity))
    db.session.expire_all()
    kinds = every_kind(learner)
    assert set(kinds) == {"course", "activity", "competency", "clr"}
    results = independent_verify(list(kinds.values()))
    assert [r["verified"] for r in results] == [True] * 4, results
    assert [r["revoked"] for r in results] == [False] * 4
    for name, credential in kinds.items():
        assert schema_errors(credential) == [], name
    assert len(kinds["clr"]["credentialSubject"]["verifiableCredential"]) == 4
    # The schemas do check: a credential without its subject, or with a wrong type of name, fails.
    broken = {name: value for name, value in kinds["course"].items() if name != "credentialSubject"}
    assert any("credentialSubject" in error for error in schema_errors(broken))
    assert schema_errors({**kinds["clr"], "name": 7}) != []


def test_the_status_list_credential_verifies_on_its_own(complete_course: Callable[..., uuid.UUID]) -> None:
    complete_course()
    status = signed_status_list(1)
    assert status is not None and status["id"] == status_list_url(1)
    [result] = independent_verify([status])
    assert result["verified"] is True, result


def test_a_tampered_credential_and_one_signed_by_another_key_are_rejected(
    complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    complete_course()
    original = document_of(held_credentials(learner.id)[0])
    tampered = copy.deepcopy(original)
    tampered["credentialSubject"]["achievement"]["name"] = "Something never earned"
    later = copy.deepcopy(original)
    later["validFrom"] = "2027-01-01T00:00:00Z"
    unsigned = {name: value for name, value in original.items() if name != "proof"}
    # Signed by a key that is not the academy's, yet naming the academy's verification method.
    impostor = sign_document(
        unsigned, Ed25519PrivateKey.generate(), verification_method_id(signing_key().key_id), datetime.now(UTC)
    )
    results = independent_verify([original, tampered, later, impostor])
    assert [r["verified"] for r in results] == [True, False, False, False], results
    assert all(r["revoked"] is None for r in results[1:])  # refused on the signature, before the status


def test_a_revoked_credential_is_reported_revoked(complete_course: Callable[..., uuid.UUID], learner: Person) -> None:
    statement_id = complete_course()
    documents = [document_of(c) for c in held_credentials(learner.id)]
    void_as_player(statement_id)
    results = independent_verify(documents)
    assert [(r["verified"], r["revoked"]) for r in results] == [(False, True)] * len(documents), results


def test_the_issuer_document_names_every_key_and_an_unknown_one_fails(
    complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    complete_course()
    credential = document_of(held_credentials(learner.id)[0])
    assert credential["issuer"]["id"] == issuer_id()
    assert credential["proof"]["verificationMethod"].startswith(issuer_id() + "#")
    elsewhere = copy.deepcopy(credential)
    elsewhere["proof"]["verificationMethod"] = issuer_id() + "#never-used"
    [result] = independent_verify([elsewhere])
    assert result["verified"] is False
