"""State, activity profile and agent profile documents, with ETags and JSON merging."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, delete, select

from academy.db import db
from academy.inputs import json_problem
from lrs.errors import ConflictError, NotFound, PreconditionFailed, XapiError
from lrs.models import Document

STATE, ACTIVITY_PROFILE, AGENT_PROFILE = "state", "activity_profile", "agent_profile"
#: The lengths of the lrs_documents columns.
MAX_DOCUMENT_ID, MAX_CONTENT_TYPE = 2048, 255


@dataclass(frozen=True)
class Scope:
    """Where a document lives: its kind and the parts of its key that apply."""

    kind: str
    activity_id: str = ""
    agent_key: str = ""
    registration: str = ""


@dataclass(frozen=True)
class Preconditions:
    if_match: str | None = None
    if_none_match: str | None = None
    #: Profiles (and, in 2.0, state) require one of the headers when overwriting.
    required: bool = False
    #: ... and, in 1.0.3, profiles even when creating.
    required_when_new: bool = False


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def _in_scope(scope: Scope, every_registration: bool = False) -> list[ColumnElement[bool]]:
    """The conditions of a scope's documents; ``every_registration`` ignores its registration."""
    conditions = [
        Document.kind == scope.kind,
        Document.activity_id == scope.activity_id,
        Document.agent_key == scope.agent_key,
    ]
    if not every_registration:
        conditions.append(Document.registration == scope.registration)
    return conditions


def _where(scope: Scope) -> Select[Document]:
    return select(Document).where(*_in_scope(scope))


def get_document(scope: Scope, document_id: str) -> Document:
    document = db.session.scalar(_where(scope).where(Document.document_id == document_id))
    if document is None:
        raise NotFound(f"no document has the id {document_id!r} here")
    return document


def list_document_ids(scope: Scope, since: datetime | None, *, every_registration: bool = False) -> list[str]:
    """The ids of a scope's documents (once each, however many registrations have one)."""
    query = select(Document.document_id).distinct().where(*_in_scope(scope, every_registration))
    if since is not None:
        query = query.where(Document.updated > since)
    return list(db.session.scalars(query.order_by(Document.document_id)))


def _check_preconditions(existing: Document | None, pre: Preconditions) -> None:
    if pre.if_match is not None:
        tags = {tag.strip().strip('"') for tag in pre.if_match.split(",")}
        if existing is None:
            raise PreconditionFailed("If-Match: there is no such document")
        if "*" not in tags and existing.etag not in tags:
            raise PreconditionFailed("If-Match does not match the document's current ETag")
    if pre.if_none_match is not None and existing is not None:
        tags = {tag.strip().strip('"') for tag in pre.if_none_match.split(",")}
        if "*" in tags or existing.etag in tags:
            raise PreconditionFailed("If-None-Match: the document already exists")
    if pre.if_match is None and pre.if_none_match is None:
        if pre.required and existing is not None:
            raise ConflictError("the document exists: send If-Match (or If-None-Match) to overwrite it")
        if pre.required_when_new and existing is None:
            raise XapiError("a PUT of a profile needs an If-Match or If-None-Match header")


def _is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"


def put_document(scope: Scope, document_id: str, content: bytes, content_type: str, pre: Preconditions) -> Document:
    """Create or replace a document."""
    _check_fields(document_id, content_type)
    existing = db.session.scalar(_where(scope).where(Document.document_id == document_id))
    _check_preconditions(existing, pre)
    return _save(existing, scope, document_id, content, content_type)


def post_document(scope: Scope, document_id: str, content: bytes, content_type: str, pre: Preconditions) -> Document:
    """Create a document, or merge JSON objects into an existing JSON document."""
    _check_fields(document_id, content_type)
    existing = db.session.scalar(_where(scope).where(Document.document_id == document_id))
    _check_preconditions(existing, Preconditions(pre.if_match, pre.if_none_match, required=False))
    if existing is not None:
        if not (_is_json(content_type) and _is_json(existing.content_type)):
            raise XapiError(
                "POST merges JSON documents only: both the stored and the new document must be application/json"
            )
        old, new = _json_object(existing.content, "the stored document"), _json_object(content, "the document")
        content = json.dumps({**old, **new}, ensure_ascii=False).encode()
        content_type = "application/json"
    elif _is_json(content_type):
        _json_object(content, "the document")
    return _save(existing, scope, document_id, content, content_type)


def _check_fields(document_id: str, content_type: str) -> None:
    """Refuse a document id or Content-Type longer than its column."""
    if len(document_id) > MAX_DOCUMENT_ID:
        raise XapiError(f"a document id may have at most {MAX_DOCUMENT_ID} characters, not {len(document_id)}")
    if len(content_type) > MAX_CONTENT_TYPE:
        raise XapiError(f"the Content-Type may have at most {MAX_CONTENT_TYPE} characters, not {len(content_type)}")


def _json_object(content: bytes, what: str) -> dict[str, object]:
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise XapiError(f"{what} is not valid JSON") from None
    except RecursionError:
        raise XapiError(f"{what} is nested too deeply") from None
    if not isinstance(value, dict):
        raise XapiError(f"{what} must be a JSON object to be merged")
    # Stored as bytes, NUL included; but a merge writes the JSON again, which deep nesting defeats.
    problem = json_problem(value, "document", nul=False)
    if problem is not None:
        raise XapiError(f"{what}: {problem}")
    return value


def _save(existing: Document | None, scope: Scope, document_id: str, content: bytes, content_type: str) -> Document:
    now = datetime.now(UTC)
    if existing is None:
        existing = Document(
            kind=scope.kind,
            activity_id=scope.activity_id,
            agent_key=scope.agent_key,
            registration=scope.registration,
            document_id=document_id,
        )
        db.session.add(existing)
    existing.content, existing.content_type = content, content_type or "application/octet-stream"
    existing.etag, existing.updated = etag_of(content), now
    db.session.flush()
    return existing


def delete_document(scope: Scope, document_id: str, pre: Preconditions) -> None:
    existing = db.session.scalar(_where(scope).where(Document.document_id == document_id))
    _check_preconditions(existing, Preconditions(pre.if_match, pre.if_none_match, required=False))
    if existing is not None:
        db.session.delete(existing)
        db.session.flush()


def delete_documents(scope: Scope, *, every_registration: bool = False) -> None:
    """Delete every document of a scope (the State resource without stateId)."""
    # Locked in id order first: a DELETE locks rows in whatever order its plan reads them, and two
    # deletes of one scope could then deadlock.
    ids = list(
        db.session.scalars(
            select(Document.id).where(*_in_scope(scope, every_registration)).order_by(Document.id).with_for_update()
        )
    )
    if ids:
        db.session.execute(delete(Document).where(Document.id.in_(ids)))
