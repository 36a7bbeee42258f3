"""JSON-LD for credentials: every context they use, shipped in ``credentials/contexts``, and canonicalisation.

The document loader never goes to the network: a URL we do not ship is an error, so a
credential that names an unknown context cannot be verified (rather than silently fetched).

Speed: PyLD spends nearly all of a credential's canonicalisation processing the same contexts
again. The loader tags the shipped contexts ``static`` (PyLD then keeps them, resolved, in a
shared cache, here our own bounded one), and :class:`Processor` gives the child context PyLD
makes for a type-scoped context a stable identity, so the processed scoped contexts are found
in PyLD's cache on the next document instead of being built again; :class:`Resolver` finds a
scoped context met again by its identity rather than by writing out its canonical JSON. About
0.6 ms a badge instead of 12 ms. The N-Quads are the same (tests/credentials/test_jsonld.py
compares them with plain PyLD's for every kind we issue and a few we do not).
"""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from frozendict import frozendict
from pyld import jsonld
from pyld.context_resolver import ContextResolver

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
    # "static": PyLD keeps the resolved context in the shared cache rather than only for one call.
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
        "contentType": "application/ld+json",
        "tag": "static",
    }


#: Resolved contexts (the shipped ones and the scoped contexts inside them), shared by every call.
#: Bounded: a pasted credential's own inline contexts only take a place until pushed out.
_resolved_contexts: LRUCache[str, Any] = LRUCache(maxsize=1024)
#: The non-propagating child of an active context (by the parent's id), made once.
_children: LRUCache[str, dict[str, Any]] = LRUCache(maxsize=1024)


class Processor(jsonld.JsonLdProcessor):
    """PyLD's processor, with type-scoped contexts processed once rather than for every node.

    For a type-scoped context PyLD clones the active context into a child (to revert to the
    parent for nested nodes) and gives the child a new random id; its processed-context cache
    is keyed by that id, so it never hits. The child only depends on its parent (its terms, and
    the parent as the context to revert to), so the child made for a parent is kept and reused
    with an id derived from the parent's: the same input gives the same processed context.
    """

    def _process_context(
        self,
        active_ctx: dict[str, Any],
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: set[str] | None = None,
    ) -> Any:
        # Only a finished (frozen) parent: one PyLD is still building may yet change.
        if not propagate and isinstance(active_ctx, frozendict) and not active_ctx.get("previousContext"):
            parent = str(active_ctx["_uuid"])
            child = _children.get(parent)
            if child is None or child["previousContext"] is not active_ctx:
                child = self._clone_active_context(active_ctx)
                child["previousContext"] = active_ctx
                child["_uuid"] = f"{parent}/scoped"
                _children[parent] = child
            active_ctx = child  # PyLD sees a child already and does not clone again
        return super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )


#: Scoped contexts (JSON objects inside the shipped contexts) by identity, with what they resolve to.
_by_identity: LRUCache[int, tuple[Any, Any]] = LRUCache(maxsize=1024)


class Resolver(ContextResolver):
    """PyLD's context resolver, knowing a context object it has resolved before by its identity.

    PyLD finds a JSON object context in its cache by the object's canonical JSON (JCS), which it
    writes out again each time the object is met: for the scoped contexts of every node of every
    credential. The same object (kept here, so its identity is not reused) resolves the same.
    """

    def resolve(self, active_ctx: Any, context: Any, base: str, cycles: set[str] | None = None) -> Any:
        inner = context.get("@context") if isinstance(context, dict | frozendict) else None
        inner = context if inner is None else inner
        if not isinstance(inner, dict | frozendict):
            return super().resolve(active_ctx, context, base, cycles)
        known = _by_identity.get(id(inner))
        if known is not None and known[0] is inner:
            return [known[1]]
        resolved = super().resolve(active_ctx, context, base, cycles)
        if len(resolved) == 1:
            _by_identity[id(inner)] = (inner, resolved[0])
        return resolved


#: The caches above (and PyLD's, in the resolved contexts) are not safe for threads (gunicorn's
#: gthread workers): one canonicalisation at a time, which costs nothing as it holds the GIL anyway.
_lock = threading.Lock()


def canonicalize(document: dict[str, Any]) -> str:
    """The document's RDF dataset in canonical N-Quads (RDFC-1.0, which is URDNA2015)."""
    with _lock:
        return _canonicalize(document)


def _canonicalize(document: dict[str, Any]) -> str:
    result = Processor().normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": load_document,
            "contextResolver": Resolver(_resolved_contexts, load_document),
        },
    )
    return str(result)
