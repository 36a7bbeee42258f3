"""The credentials' canonicalisation keeps processed contexts between documents: the N-Quads must be
exactly plain PyLD's (no cache, a fresh context resolver) for every kind of document we sign or verify."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from academy.db import db
from academy.org.models import Person
from credentials.jsonld import DATA_INTEGRITY_V2, OB_V3, VC_V2, canonicalize, context_document
from credentials.services.documents import issuer_document, verification_method_document
from credentials.services.holding import signed_status_list
from credentials.services.keys import public_keys
from tests.credentials.conftest import completion
from tests.credentials.test_independent import every_kind
from tests.support.lrs import Xapi


def plain_pyld(document: dict[str, Any]) -> str:
    """PyLD as it comes: every context loaded and processed anew (untagged, so not kept between calls)."""

    def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(context_document(url))}

    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader,
        "contextResolver": ContextResolver({}, loader),
    }
    return str(jsonld.JsonLdProcessor().normalize(copy.deepcopy(document), options))


def documents_of_every_kind(learner: Person) -> dict[str, dict[str, Any]]:
    found = every_kind(learner)
    status = signed_status_list(1)
    assert status is not None
    found["status"] = status
    keys = public_keys()
    found["issuer"] = issuer_document(keys)
    key_id, multibase = next(iter(keys.items()))
    found["method"] = verification_method_document(key_id, multibase)
    for name in list(found):
        if "proof" in found[name]:
            found[f"{name} unsigned"] = {k: v for k, v in found[name].items() if k != "proof"}
            proof = {k: v for k, v in found[name]["proof"].items() if k != "proofValue"}
            found[f"{name} proof"] = {"@context": found[name]["@context"], **proof}
    return found


def test_the_n_quads_are_plain_pyld_s_for_every_kind_in_any_order(
    complete_course: Callable[..., uuid.UUID], xapi: Xapi, aligned_activity: str, learner: Person
) -> None:
    complete_course()
    xapi("POST", "/xapi/statements", json_body=completion("somying@example.go.th", aligned_activity))
    db.session.expire_all()
    kinds = documents_of_every_kind(learner)
    assert {"course", "activity", "competency", "clr", "status", "issuer", "method"} <= set(kinds)
    expected = {name: plain_pyld(document) for name, document in kinds.items()}
    assert all(quads.count("\n") >= 3 for quads in expected.values())
    # Twice over, forwards then backwards: what one kind leaves in the caches does not change another's.
    for name in [*kinds, *reversed(kinds)]:
        assert canonicalize(kinds[name]) == expected[name], name
    # The caches do not hide a change: another name, level or date gives other N-Quads, as plain PyLD's.
    changed = copy.deepcopy(kinds["competency"])
    changed["credentialSubject"]["achievement"]["name"] = "Another"
    changed["validFrom"] = "2027-01-01T00:00:00Z"
    assert canonicalize(changed) == plain_pyld(changed) != expected["competency"]


@pytest.mark.parametrize(
    "document",
    [
        # An inline context of the sender's own, after the protected ones.
        {
            "@context": [VC_V2, {"extra": "https://example.org/extra#"}],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"extra:level": "3", "type": "Thing"},
        },
        # Types with scoped contexts nested inside one another, and a Data Integrity proof context.
        {
            "@context": [VC_V2, OB_V3, DATA_INTEGRITY_V2],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "achievement": {"type": ["Achievement"], "name": "x", "criteria": {"narrative": "y"}},
                "result": [{"type": ["Result"], "status": "Completed"}],
            },
        },
        # A type the contexts do not define (VC 2.0's issuer-dependent @vocab names it).
        {"@context": [VC_V2], "type": ["VerifiableCredential", "Unknown"], "name": "z"},
    ],
)
def test_documents_not_ours_canonicalise_as_plain_pyld(document: dict[str, Any]) -> None:
    assert canonicalize(document) == plain_pyld(document)
    assert canonicalize(document) == plain_pyld(document)


def test_a_protected_term_redefined_is_still_refused() -> None:
    document = {"@context": [VC_V2, {"name": "https://example.org/name"}], "type": ["VerifiableCredential"]}
    for _ in range(2):
        with pytest.raises(jsonld.JsonLdError):
            canonicalize(document)
        with pytest.raises(jsonld.JsonLdError):
            plain_pyld(document)
