"""Credential helpers: the independent verifier (Digital Bazaar's, in Node) and 1EdTech's JSON Schemas."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from credentials.jsonld import CONTEXT_FILES, CONTEXTS_DIR
from credentials.services.documents import issuer_document, status_list_url, verification_method_document
from credentials.services.holding import signed_status_list
from credentials.services.keys import public_keys

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "tests" / "support" / "verify_credentials.mjs"
SCHEMAS = ROOT / "credentials" / "schemas"


def issuer_documents() -> dict[str, Any]:
    """The issuer's controller document and each verification method, by URL, as the platform serves them."""
    keys = public_keys()
    document = issuer_document(keys)
    found: dict[str, Any] = {document["id"]: document}
    for key_id, multibase in keys.items():
        method = verification_method_document(key_id, multibase)
        found[method["id"]] = method
    return found


def status_documents(credentials: list[dict[str, Any]]) -> dict[str, Any]:
    """The signed status lists the credentials (and the credentials a CLR holds) point to."""
    numbers: set[int] = set()

    def visit(credential: dict[str, Any]) -> None:
        status = credential.get("credentialStatus")
        if isinstance(status, dict):
            numbers.add(int(status["statusListCredential"].rsplit("/", 1)[1]))
        for held in (credential.get("credentialSubject") or {}).get("verifiableCredential") or []:
            visit(held)

    for credential in credentials:
        visit(credential)
    return {status_list_url(number): signed_status_list(number) for number in sorted(numbers)}


def independent_verify(
    credentials: list[dict[str, Any]], documents: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Run Digital Bazaar's verifier (Node) on the credentials; one result each: verified, revoked, errors."""
    node = shutil.which("node")
    assert node, "the independent verifier needs Node.js (node on PATH)"
    bundle = {
        "contexts": {url: str(CONTEXTS_DIR / name) for url, name in CONTEXT_FILES.items()},
        "documents": {**issuer_documents(), **status_documents(credentials), **(documents or {})},
        "credentials": credentials,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as file:
        json.dump(bundle, file, ensure_ascii=False)
    try:
        done = subprocess.run(
            [node, str(SCRIPT), file.name], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        Path(file.name).unlink()
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def _adapt_to_vc2(node: Any) -> None:
    """1EdTech's draft-4 copies were written for VC 1.1: VC 2.0 (which OB 3.0 and CLR 2.0 now use) names
    the start of validity validFrom, not issuanceDate; and its status entries (BitstringStatusListEntry)
    carry their purpose, list and index besides an id and a type, as the current OB 3.0 schema allows."""
    if isinstance(node, dict):
        if isinstance(node.get("required"), list):
            node["required"] = ["validFrom" if name == "issuanceDate" else name for name in node["required"]]
        status = (node.get("$defs") or {}).get("CredentialStatus")
        if isinstance(status, dict):
            status["additionalProperties"] = True
        for value in node.values():
            _adapt_to_vc2(value)
    elif isinstance(node, list):
        for value in node:
            _adapt_to_vc2(value)


@cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    _adapt_to_vc2(schema)
    return schema


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """What 1EdTech's JSON Schema (OB 3.0 or CLR 2.0, by the credential's type) finds wrong with it."""
    name = (
        "clr_v2p0_clrcredential_schema.json"
        if "ClrCredential" in credential["type"]
        else "ob_v3p0_achievementcredential_schema.json"
    )
    validator = jsonschema.Draft4Validator(_schema(name))
    return [f"{'/'.join(map(str, error.path))}: {error.message}" for error in validator.iter_errors(credential)]
