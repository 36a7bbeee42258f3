"""A large rebuild signs in worker processes: the same credentials, in the same order, as signing here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from academy.db import db
from academy.org.models import Agency, Person
from courses.models import Course, Enrolment, EnrolmentSource, EnrolmentStatus
from credentials.models import IssuedCredential
from credentials.services.holding import document_of
from credentials.services.issuing import rebuild_credentials
from credentials.services.keys import signing_key
from credentials.services.signing import BatchSigner, sign_document
from credentials.services.verify import verify_credential
from tests.support.credentials import independent_verify


def unsigned(document: dict) -> dict:
    return {name: value for name, value in document.items() if name != "proof"}


def test_the_workers_sign_each_document_as_this_process_does_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(BatchSigner, "MIN_PARALLEL", 2)
    key = Ed25519PrivateKey.generate()
    created = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    documents = [
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": f"urn:uuid:{uuid.uuid4()}", "name": f"n{n}"},
        }
        for n in range(7)
    ]
    expected = [sign_document(document, key, "https://x.test/issuer#k", created) for document in documents]
    with BatchSigner(workers=2) as signer:
        assert signer.sign_all(documents, key, "https://x.test/issuer#k", created) == expected
        # Another key than the workers' is signed here, still as expected.
        other = Ed25519PrivateKey.generate()
        again = signer.sign_all(documents[:3], other, "https://x.test/issuer#k", created)
        assert again == [sign_document(d, other, "https://x.test/issuer#k", created) for d in documents[:3]]
        assert again[0]["proof"]["proofValue"] != expected[0]["proof"]["proofValue"]


def test_a_rebuild_with_workers_issues_credentials_that_verify(
    monkeypatch: pytest.MonkeyPatch,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_course: Callable[..., Course],
) -> None:
    monkeypatch.setattr(BatchSigner, "MIN_PARALLEL", 2)
    agency = make_agency()
    people = [make_person(agency) for _n in range(5)]
    course = make_course()
    start = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    for n, person in enumerate(people):
        db.session.add(
            Enrolment(
                registration=uuid.uuid4(),
                person_id=person.id,
                course_id=course.id,
                source=EnrolmentSource.SELF,
                status=EnrolmentStatus.COMPLETED,
                progress=100,
                completed_at=start + timedelta(minutes=n),
                fiscal_year=2569,
            )
        )
    db.session.flush()
    pools: list[bool] = []
    close = BatchSigner.close

    def closing(signer: BatchSigner) -> None:
        pools.append(signer._pool is not None)
        close(signer)

    monkeypatch.setattr(BatchSigner, "close", closing)
    issued = rebuild_credentials(workers=2, chunk=3)
    assert pools == [True]  # the workers did sign
    assert issued >= len(people)
    stored = db.session.scalars(select(IssuedCredential).order_by(IssuedCredential.id)).all()
    assert {credential.person_id for credential in stored} == {person.id for person in people}
    documents = [document_of(credential) for credential in stored]
    key = signing_key()
    for document in documents:
        assert verify_credential(document).valid, document["id"]
        proof = document["proof"]
        created = datetime.fromisoformat(proof["created"].replace("Z", "+00:00"))
        assert sign_document(unsigned(document), key.private, proof["verificationMethod"], created) == document
    assert [result["verified"] for result in independent_verify(documents[:2])] == [True, True]
