"""The pieces under the credentials: the offline document loader, multibase, keys, the status list's bits."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from pyld import jsonld

from academy.org.models import Person
from credentials.jsonld import OB_V3, VC_V2, canonicalize, load_document
from credentials.multibase import base58_decode, base58_encode, decode_u, public_key_multibase, raw_public_key
from credentials.services.holding import held_credentials, signed_status_list
from credentials.services.keys import KeyConfigError, configured_keys, new_key_entry, parse_keys, record_public_keys
from tests.credentials.conftest import void_as_player


def test_the_loader_serves_shipped_contexts_and_never_fetches_another() -> None:
    assert load_document(OB_V3)["document"]["@context"]["@protected"] is True
    with pytest.raises(jsonld.JsonLdError):
        load_document("https://www.w3.org/2018/credentials/v1")
    unknown = {"@context": [VC_V2, "https://example.org/context.jsonld"], "type": ["VerifiableCredential"]}
    with pytest.raises(jsonld.JsonLdError):
        canonicalize(unknown)
    quads = canonicalize({"@context": [VC_V2], "id": "urn:uuid:1", "type": ["VerifiableCredential"]})
    assert quads == (
        "<urn:uuid:1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<https://www.w3.org/2018/credentials#VerifiableCredential> .\n"
    )


def test_multibase_round_trips() -> None:
    for data in (b"", b"\0\0abc", bytes(range(256))):
        assert base58_decode(base58_encode(data)) == data
    raw = bytes(range(32))
    assert public_key_multibase(raw).startswith("z6Mk")  # every Ed25519 Multikey does
    assert raw_public_key(public_key_multibase(raw)) == raw
    assert decode_u("uAQID") == b"\x01\x02\x03"
    with pytest.raises(ValueError):
        base58_decode("0OIl")


def test_key_entries_parse_and_refuse_what_is_not_a_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = new_key_entry("k-1"), new_key_entry("k-2")
    keys = parse_keys(f"{first}\n{second}")
    assert [k.key_id for k in keys] == ["k-1", "k-2"]
    path = tmp_path / "keys"
    path.write_text(f"{second}, {first}\n", encoding="utf-8")
    assert [k.key_id for k in parse_keys(str(path))] == ["k-2", "k-1"]
    for bad in ("", "k-1", "k 1=abc", "k-1=abc", "k-1=" + "A" * 40):
        with pytest.raises(KeyConfigError):
            parse_keys(bad)


def test_a_key_id_reused_for_another_key_and_production_without_keys_are_refused(app: Flask) -> None:
    saved = (app.config["ACADEMY_CREDENTIAL_KEY"], app.config["ACADEMY_ENV"])
    try:
        app.config["ACADEMY_CREDENTIAL_KEY"] = new_key_entry("same-id")
        record_public_keys()
        app.config["ACADEMY_CREDENTIAL_KEY"] = new_key_entry("same-id")
        with pytest.raises(KeyConfigError, match="another key"):
            record_public_keys()
        app.config["ACADEMY_CREDENTIAL_KEY"], app.config["ACADEMY_ENV"] = "", "production"
        with pytest.raises(KeyConfigError, match="required"):
            configured_keys()
    finally:
        app.config["ACADEMY_CREDENTIAL_KEY"], app.config["ACADEMY_ENV"] = saved


def test_the_status_list_sets_exactly_the_revoked_credentials_bits(
    complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    statement_id = complete_course()

    def bits() -> set[int]:
        status = signed_status_list(1)
        assert status is not None
        data = gzip.decompress(decode_u(status["credentialSubject"]["encodedList"]))
        assert len(data) * 8 == 131_072
        return {n for n in range(len(data) * 8) if data[n // 8] & (0x80 >> (n % 8))} if any(data) else set()

    assert bits() == set()
    void_as_player(statement_id)
    assert bits() == {c.status_index for c in held_credentials(learner.id)}
