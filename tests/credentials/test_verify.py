"""Our own verifier (credentials/services/verify.py) and ``flask academy credential-verify``: valid, tampered,
revoked, expired, another issuer, another key; a rotated key keeps old credentials verifiable."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from academy.db import db
from academy.org.models import Person
from credentials.services.documents import verification_method_id
from credentials.services.holding import document_of, held_credentials, issue_clr
from credentials.services.keys import new_key_entry, signing_key
from credentials.services.signing import sign_document
from credentials.services.verify import verify_credential
from tests.credentials.conftest import void_as_player
from tests.support.credentials import independent_verify


def resign(document: dict, **changes: object) -> dict:
    """The document changed and signed again with the academy's key (a credential we could have issued)."""
    unsigned = {name: value for name, value in document.items() if name != "proof"} | changes
    key = signing_key()
    return sign_document(unsigned, key.private, verification_method_id(key.key_id), datetime.now(UTC))


def test_valid_tampered_other_key_and_not_json(complete_course: Callable[..., uuid.UUID], learner: Person) -> None:
    complete_course()
    document = document_of(held_credentials(learner.id)[0])
    result = verify_credential(json.dumps(document))
    assert result.valid and result.findings == ["valid"]
    assert result.stored is not None and result.stored.person_id == learner.id

    tampered = copy.deepcopy(document)
    tampered["credentialSubject"]["id"] = "urn:uuid:" + str(uuid.uuid4())
    result = verify_credential(tampered)
    assert not result.valid and result.tampered and result.findings == ["bad_signature"]

    impostor = sign_document(
        {k: v for k, v in document.items() if k != "proof"},
        Ed25519PrivateKey.generate(),
        document["proof"]["verificationMethod"],
        datetime.now(UTC),
    )
    assert verify_credential(impostor).findings == ["bad_signature"]

    unknown = copy.deepcopy(document)
    unknown["proof"]["verificationMethod"] = document["proof"]["verificationMethod"].split("#")[0] + "#nobody"
    assert verify_credential(unknown).findings == ["unknown_key"]

    other = copy.deepcopy(document)
    other["issuer"]["id"] = "https://elsewhere.example/issuer"
    assert verify_credential(other).findings == ["other_issuer"]

    assert verify_credential("{not json").findings == ["not_json"]
    assert verify_credential({"type": ["Thing"]}).findings == ["not_credential"]
    no_proof = {k: v for k, v in document.items() if k != "proof"}
    assert verify_credential(no_proof).findings == ["no_proof"]
    foreign_context = copy.deepcopy(document)
    foreign_context["@context"].append("https://elsewhere.example/context.json")
    assert verify_credential(foreign_context).findings == ["unknown_context"]


def test_revoked_and_expired_with_reasons(complete_course: Callable[..., uuid.UUID], learner: Person) -> None:
    statement_id = complete_course()
    document = document_of(held_credentials(learner.id)[0])
    expired = resign(document, validUntil="2026-06-01T00:00:00Z")
    result = verify_credential(expired, now=datetime(2026, 7, 1, tzinfo=UTC))
    assert result.findings == ["valid", "expired"] and not result.valid
    assert verify_credential(expired, now=datetime(2026, 5, 1, tzinfo=UTC)).valid

    void_as_player(statement_id)
    result = verify_credential(document)
    assert result.findings == ["valid", "revoked"] and result.revoked and not result.valid
    assert result.revocation_reason == "voided" and result.revoked_at is not None
    assert "revoked" in " ".join(result.reasons)


def test_a_clr_is_checked_with_every_credential_it_holds(
    complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    statement_id = complete_course()
    clr = issue_clr(learner)
    assert clr is not None
    assert issue_clr(learner) is clr  # the same badges: no new CLR
    result = verify_credential(document_of(clr))
    assert result.valid and len(result.held) == 2 and all(item.valid for item in result.held)
    void_as_player(statement_id)
    result = verify_credential(document_of(clr))
    assert result.findings == ["valid", "held_invalid"]
    assert issue_clr(learner) is None  # nothing standing to put in a new one


def test_a_rotated_key_keeps_old_credentials_verifiable(
    app: Flask, complete_course: Callable[..., uuid.UUID], make_course: Callable[..., object], learner: Person
) -> None:
    complete_course()
    old = document_of(held_credentials(learner.id)[0])
    old_key = app.config["ACADEMY_CREDENTIAL_KEY"] or ""
    from credentials.services.keys import configured_keys

    previous = configured_keys()
    entries = ",".join(f"{k.key_id}={_seed(k.private)}" for k in previous)
    app.config["ACADEMY_CREDENTIAL_KEY"] = f"{new_key_entry('rotated-2')},{entries}"
    try:
        complete_course(make_course("DG301", aligned_to="DG-03"))
        newest = max(held_credentials(learner.id), key=lambda c: c.id)
        assert newest.key_id == "rotated-2"
        new = document_of(newest)
        assert verify_credential(old).valid and verify_credential(new).valid
        results = independent_verify([old, new])
        assert [r["verified"] for r in results] == [True, True], results
    finally:
        app.config["ACADEMY_CREDENTIAL_KEY"] = old_key


def _seed(private: Ed25519PrivateKey) -> str:
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_the_command_line_verifier(
    app: Flask, complete_course: Callable[..., uuid.UUID], learner: Person, tmp_path: Path
) -> None:
    complete_course()
    db.session.commit()  # a savepoint: the command's own session sees it within the test's transaction
    document = document_of(held_credentials(learner.id)[0])
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document), encoding="utf-8")
    bad = tmp_path / "bad.json"
    tampered = copy.deepcopy(document)
    tampered["validFrom"] = "2020-01-01T00:00:00Z"
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["academy", "credential-verify", str(good)])
    assert result.exit_code == 0 and result.output.startswith("VALID"), result.output
    result = runner.invoke(args=["academy", "credential-verify", "--json", str(bad)])
    assert result.exit_code == 1
    assert json.loads(result.output)["findings"] == ["bad_signature"]
