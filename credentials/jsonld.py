"""JSON-LD for credentials: every context they use, shipped in ``credentials/contexts``, and canonicalisation.

The document loader never goes to the network: a URL we do not ship is an error, so a
credential that names an unknown context cannot be verified (rather than silently fetched).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"

#: Each context URL and the file that holds its text (as published by the W3C and 1EdTech).
CONTEXT_FILES = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-3.0.3.json",
    CLR_V2: "clr-v2p0-2.0.1.json",
    DID_V1: "did-v1.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
}


class UnknownContext(ValueError):
    """A document names a context the project does not ship."""


@cache
def context_document(url: str) -> dict[str, Any]:
    """The parsed text of a shipped context."""
    name = CONTEXT_FILES.get(url)
    if name is None:
        raise UnknownContext(url)
    result: dict[str, Any] = json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))
    return result


def load_document(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """PyLD's document loader: the shipped contexts only, never the network."""
    try:
        document = context_document(url)
    except UnknownContext:
        raise jsonld.JsonLdError(
            f"Context {url} is not shipped with the platform; it is never fetched.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        ) from None
    return {"contextUrl": None, "documentUrl": url, "document": document, "contentType": "application/ld+json"}


def canonicalize(document: dict[str, Any]) -> str:
    """The document's RDF dataset in canonical N-Quads (RDFC-1.0, which is URDNA2015)."""
    result = jsonld.normalize(
        document,
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": load_document},
    )
    return str(result)
