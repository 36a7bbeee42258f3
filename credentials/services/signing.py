"""Data Integrity proofs, cryptosuite ``eddsa-rdfc-2022``: sign and check one.

The proof configuration (the proof without its value, with the document's ``@context``) and the
document without its proof are each canonicalised (RDFC-1.0) and hashed (SHA-256); Ed25519
signs the proof's hash followed by the document's, and ``proofValue`` is the signature in
multibase base58btc.
"""

from __future__ import annotations

import copy
import hashlib
import json
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from functools import lru_cache
from types import TracebackType
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from credentials.jsonld import canonicalize
from credentials.multibase import decode_z, encode_z

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"


@lru_cache(maxsize=256)
def _config_hash(config_json: str) -> bytes:
    # A batch signs with one proof configuration (same moment, key and contexts): canonicalised once.
    return hashlib.sha256(canonicalize(json.loads(config_json)).encode("utf-8")).digest()


def _hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    config = {"@context": document["@context"], **proof_config}
    unsigned = {name: value for name, value in document.items() if name != "proof"}
    return (
        _config_hash(json.dumps(config, sort_keys=True))
        + hashlib.sha256(canonicalize(unsigned).encode("utf-8")).digest()
    )


def xsd_datetime(moment: datetime) -> str:
    """A UTC moment as the credentials write it: ``2026-12-06T07:30:00Z`` (whole seconds)."""
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_document(
    document: dict[str, Any], private_key: Ed25519PrivateKey, verification_method: str, created: datetime
) -> dict[str, Any]:
    """Return ``document`` with an embedded ``eddsa-rdfc-2022`` proof for the assertion purpose."""
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.sign(_hash_data(document, proof))
    signed = dict(document)
    signed["proof"] = {**proof, "proofValue": encode_z(signature)}
    return signed


_worker_key: Ed25519PrivateKey | None = None


def _start_worker(seed: bytes) -> None:
    global _worker_key  # one key per worker process, set once when it starts
    _worker_key = Ed25519PrivateKey.from_private_bytes(seed)


def _sign_in_worker(job: tuple[dict[str, Any], str, datetime]) -> dict[str, Any]:
    assert _worker_key is not None
    document, verification_method, created = job
    return sign_document(document, _worker_key, verification_method, created)


class BatchSigner:
    """Signs many documents, in worker processes when there are several (a rebuild).

    Canonicalisation is pure Python and takes nearly all of a signature's time, so a large batch is
    spread over ``workers`` processes, started fresh (they hold no database connection, only the
    key) when a batch first needs them, and kept until :meth:`close`. Each document is signed exactly
    as :func:`sign_document` signs it here, and returned in order. With no workers, for a few
    documents, or another key than the workers', it signs in this process. Use it as a context manager.
    """

    #: Fewer documents than this are signed here: sending them to the workers would not pay.
    MIN_PARALLEL = 64

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers if workers > 1 else 0
        self._pool: ProcessPoolExecutor | None = None
        self._key: Ed25519PrivateKey | None = None

    def sign_all(
        self,
        documents: Sequence[dict[str, Any]],
        private_key: Ed25519PrivateKey,
        verification_method: str,
        created: datetime,
    ) -> list[dict[str, Any]]:
        """Each document with its proof, in the order given."""
        if self.workers and self._pool is None and len(documents) >= self.MIN_PARALLEL:
            self._key = private_key
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(private_key.private_bytes_raw(),),
            )
        if self._pool is None or private_key is not self._key or len(documents) < self.MIN_PARALLEL:
            return [sign_document(document, private_key, verification_method, created) for document in documents]
        jobs = [(document, verification_method, created) for document in documents]
        chunk = max(1, min(100, len(jobs) // (self.workers * 4)))
        return list(self._pool.map(_sign_in_worker, jobs, chunksize=chunk))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> BatchSigner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class ProofError(ValueError):
    """Why a proof does not hold (a code, for the verifier's reasons)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


def proof_of(document: dict[str, Any]) -> dict[str, Any]:
    """The document's one Data Integrity proof of our cryptosuite; ProofError otherwise."""
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("no_proof", "the credential carries no proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("unsupported_proof", f"proof {proof.get('type')}/{proof.get('cryptosuite')} is not supported")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("wrong_purpose", "the proof is not for assertion")
    if not isinstance(proof.get("verificationMethod"), str) or not isinstance(proof.get("proofValue"), str):
        raise ProofError("malformed_proof", "the proof lacks its verification method or value")
    return proof


def check_proof(document: dict[str, Any], public_key: Ed25519PublicKey) -> None:
    """Raise ProofError unless the document's proof is a valid signature by ``public_key``."""
    proof = proof_of(document)
    config = {name: value for name, value in proof.items() if name != "proofValue"}
    try:
        signature = decode_z(proof["proofValue"])
    except ValueError:
        raise ProofError("malformed_proof", "the proof value is not multibase base58btc") from None
    try:
        data = _hash_data(copy.deepcopy(document), config)
    except Exception as error:  # PyLD raises its own errors for bad JSON-LD and unknown contexts
        raise ProofError("not_jsonld", f"the credential is not valid JSON-LD: {error}") from None
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        raise ProofError("bad_signature", "the signature does not match the document") from None
