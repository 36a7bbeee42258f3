"""Storing statements: the one write path, ``store_statements()``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute

from academy.db import bulk_insert, db, insert_ignoring_duplicates, reserve_ids, table_of
from academy.ifi import agent_key
from academy.org.importer.lookups import one_of
from lrs.clients import Writer, forget_ignored, may_void, writer_of
from lrs.compare import same_statement
from lrs.errors import ConflictError, StatementError, XapiError
from lrs.models import (
    Activity,
    Agent,
    Attachment,
    LrsClient,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementId,
    Verb,
    ref_of_verb,
)
from lrs.pipeline import StoredBatch, publish
from lrs.signatures import check_signatures
from lrs.statements.indexing import _activity_definitions, _index_rows, _merge_definition
from lrs.validation import normalise_statement, parse_timestamp, validate_statements
from lrs.versions import XapiVersion

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"


class VoidRefused(XapiError):
    """A voiding statement targets a statement the client may not void (README, Trust model)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 403)


@dataclass(frozen=True)
class AttachmentPart:
    """The raw content of one attachment, from a multipart/mixed request."""

    content_type: str
    content: bytes


def _format_stored(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def store_statements(
    payload: object,
    *,
    version: XapiVersion,
    authority: dict[str, Any],
    client: LrsClient | None = None,
    attachments: Mapping[str, AttachmentPart] | None = None,
    statement_id: uuid.UUID | None = None,
    define: bool = True,
    check: Callable[[list[dict[str, Any]]], None] | None = None,
) -> list[uuid.UUID]:
    """Validate, store and publish statements (one or a list); return their ids in order.

    Nothing is stored unless every statement is valid. A statement whose id is already
    stored with the same content is accepted without a second copy; with other content
    it is a conflict. ``check`` sees the valid statements before anything is stored and may
    refuse them (a restricted credential's rules, lrs.restrictions). Flushes, never commits.
    """
    # Copies: the caller's payload stays as sent, so that a retried transaction can store it again.
    statements = [dict(normalise_statement(s, version)) for s in validate_statements(payload, version)]
    if statement_id is not None:
        if len(statements) != 1:
            raise StatementError("a PUT carries exactly one statement")
        given = statements[0].get("id")
        if given is not None and uuid.UUID(given) != statement_id:
            raise StatementError(f"statement.id {given} does not match the statementId parameter {statement_id}")
        statements[0]["id"] = str(statement_id)
    if check is not None:
        check(statements)
    ids = [uuid.UUID(s["id"]) if "id" in s else uuid.uuid4() for s in statements]
    if len(set(ids)) != len(ids):
        raise StatementError("statement ids must be unique within a batch")
    _check_attachments(statements, attachments or {})
    for index, statement in enumerate(statements):
        path = f"statements[{index}]" if isinstance(payload, list) else "statement"
        check_signatures(statement, attachments or {}, path, version)

    # The one unique index of ids first: most batches are new, and lrs_statements has an index per month.
    known = list(db.session.scalars(select(StatementId.id).where(one_of(StatementId.id, ids))))
    existing = (
        {
            row.id: row.payload
            for row in db.session.execute(select(Statement.id, Statement.payload).where(one_of(Statement.id, known)))
        }
        if known
        else {}
    )
    now = datetime.now(UTC)
    # Stored as sent back, to the millisecond, so that since/until compare with what clients saw.
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    stored_at = _format_stored(now)
    new_statements: list[tuple[uuid.UUID, dict[str, Any]]] = []
    for statement_uuid, statement in zip(ids, statements, strict=True):
        if statement_uuid in existing:
            if not same_statement(statement, existing[statement_uuid], version):
                raise ConflictError(f"statement {statement_uuid} is already stored with different content")
            continue
        new_statements.append((statement_uuid, _stamp(statement, statement_uuid, stored_at, authority, version)))

    writer = writer_of(client)
    voided = _void_targets([s for _id, s in new_statements], {i for i, _s in new_statements}, writer)
    if new_statements:
        _insert(new_statements, now, client, attachments or {}, define)
    if voided:
        # Lock the targets in id order first: an UPDATE would lock them in whatever order its plan reads them.
        db.session.execute(
            select(Statement.pk).where(Statement.id.in_(voided)).order_by(Statement.id).with_for_update()
        )
        db.session.execute(update(Statement).where(Statement.id.in_(voided)).values(voided=True))
        forget_ignored(voided)  # a voided statement stands no more, believed or not
    publish(StoredBatch(statements=[s for _id, s in new_statements], voided_ids=voided, writer=writer))
    return ids


def _stamp(
    statement: dict[str, Any],
    statement_uuid: uuid.UUID,
    stored_at: str,
    authority: dict[str, Any],
    version: XapiVersion,
) -> dict[str, Any]:
    """Give a new statement what the LRS sets on it: id, stored, authority, timestamp and version if absent."""
    statement["id"] = str(statement_uuid)
    statement.setdefault("timestamp", stored_at)
    statement["stored"] = stored_at
    statement["authority"] = authority
    statement.setdefault("version", "2.0.0" if version.is_v2 else "1.0.0")
    return statement


def load_statements(
    statements: list[dict[str, Any]],
    *,
    stored: datetime,
    authority: dict[str, Any],
    client: LrsClient | None = None,
    version: XapiVersion = XapiVersion.V1,
) -> None:
    """Bulk-load trusted, valid, new statements stored at ``stored``: the rows store_statements writes.

    For benchmarks and data migrations only: no validation (normalised as stored), no check for ids already stored,
    no voiding and no projections (run ``rebuild-projections`` afterwards). The statements are
    stamped and their rows built and written (COPY on PostgreSQL) by the write path's own code.
    Flushes, never commits.
    """
    stored = stored.replace(microsecond=stored.microsecond // 1000 * 1000)
    stored_at = _format_stored(stored)
    new = []
    for statement in statements:
        statement_uuid = uuid.UUID(statement["id"]) if "id" in statement else uuid.uuid4()
        stamped = _stamp(dict(normalise_statement(statement, version)), statement_uuid, stored_at, authority, version)
        new.append((statement_uuid, stamped))
    _insert(new, stored, client, {}, define=True)


def _check_attachments(statements: list[dict[str, Any]], parts: Mapping[str, AttachmentPart]) -> None:
    wanted: set[str] = set()
    for statement in statements:
        for holder in (statement, statement.get("object") or {}):
            for attachment in holder.get("attachments") or ():
                if "fileUrl" not in attachment:
                    wanted.add(attachment["sha2"].lower())
    missing = wanted - parts.keys()
    if missing:
        raise StatementError(
            f"attachments without fileUrl need their content in the request: missing sha2 {sorted(missing)}"
        )
    extra = (
        parts.keys()
        - wanted
        - {
            a["sha2"].lower()
            for s in statements
            for h in (s, s.get("object") or {})
            for a in h.get("attachments") or ()
        }
    )
    if extra:
        raise StatementError(f"attachment parts match no attachment of the statements: sha2 {sorted(extra)}")


def _void_targets(new: list[dict[str, Any]], new_ids: set[uuid.UUID], writer: Writer) -> list[uuid.UUID]:
    """The ids that voiding statements among ``new`` void; a voiding statement cannot be voided.

    A client voids only the statements it stored itself (or targets not stored at all, as xAPI
    allows); the platform and admin clients void any (README, Trust model).
    """
    targets = [
        uuid.UUID(s["object"]["id"])
        for s in new
        if s["verb"]["id"] == VOIDED_VERB and (s.get("object") or {}).get("objectType") == "StatementRef"
    ]
    if not targets:
        return []
    voiding_ids = {uuid.UUID(s["id"]) for s in new if s["verb"]["id"] == VOIDED_VERB}
    stored_voiding = set(
        db.session.scalars(
            select(Statement.id).where(Statement.id.in_(targets), Statement.verb_ref == ref_of_verb(VOIDED_VERB))
        )
    )
    for target in targets:
        if target in voiding_ids or target in stored_voiding:
            raise StatementError(f"statement {target} is itself a voiding statement and cannot be voided")
    if not (writer.platform or writer.admin):
        owners = dict(
            db.session.execute(select(Statement.id, Statement.client_id).where(Statement.id.in_(targets))).all()
        )
        for target in targets:
            if target in owners and not may_void(writer, [owners[target]]):
                raise VoidRefused(
                    f"statement {target} was stored by another client: a client may void only the statements it"
                    " stored itself"
                )
    return targets


def _insert(
    new: list[tuple[uuid.UUID, dict[str, Any]]],
    now: datetime,
    client: LrsClient | None,
    parts: Mapping[str, AttachmentPart],
    define: bool,
) -> None:
    _update_activities([s for _id, s in new], define)
    index = {statement_uuid: _index_rows(statement) for statement_uuid, statement in new}
    agents = _refs(Agent, Agent.agent_key, {key for agents, _a in index.values() for key, _d in agents})
    verbs = _refs(Verb, Verb.verb_id, {statement["verb"]["id"] for _id, statement in new})
    activities = _activity_refs({iri for _ag, acts in index.values() for iri, _d in acts})
    rows: list[dict[str, Any]] = []
    for statement_uuid, statement in new:
        target = statement["object"]
        kind = target.get("objectType", "Activity")
        registration = (statement.get("context") or {}).get("registration")
        actor = agent_key(statement["actor"])
        rows.append(
            {
                "id": statement_uuid,
                "payload": statement,
                "actor_ref": agents[actor] if actor else None,
                "verb_ref": verbs[statement["verb"]["id"]],
                "object_activity_ref": activities[target["id"]] if kind == "Activity" else None,
                "object_statement_id": uuid.UUID(target["id"]) if kind == "StatementRef" else None,
                "registration": uuid.UUID(registration) if registration else None,
                "timestamp": parse_timestamp(statement["timestamp"]),
                "stored": now,
                "voided": False,
                "client_id": client.id if client else None,
                "has_attachments": bool(statement.get("attachments")),
            }
        )
    # The ids first, in order, so that two batches that carry the same new ids take the unique
    # index's locks in one order (and the later one sees a duplicate).
    bulk_insert(StatementId, [{"id": row["id"]} for row in sorted(rows, key=lambda row: row["id"])])
    if db.session.get_bind().dialect.name == "postgresql":
        # Keys first, so that every table can be written with COPY.
        for row, pk in zip(rows, reserve_ids(Statement, "pk", len(rows)), strict=True):
            row["pk"] = pk
        # Keys keep the batch's order.
        bulk_insert(Statement, rows)
        pks: dict[uuid.UUID, int] = {row["id"]: row["pk"] for row in rows}
    else:
        bulk_insert(Statement, rows)
        ids = [row["id"] for row in rows]
        pks = dict(db.session.execute(select(Statement.id, Statement.pk).where(Statement.id.in_(ids))).all())
    agent_rows: list[dict[str, Any]] = []
    activity_rows: list[dict[str, Any]] = []
    verb_of = {row["id"]: row["verb_ref"] for row in rows}
    for statement_uuid, (statement_agents, statement_activities) in index.items():
        keys = {"statement_pk": pks[statement_uuid], "stored": now}
        verb = {"verb_ref": verb_of[statement_uuid]}
        agent_rows += [{"agent_ref": agents[k], "direct": d, **keys, **verb} for k, d in statement_agents]
        activity_rows += [{"activity_ref": activities[a], "direct": d, **keys} for a, d in statement_activities]
    bulk_insert(StatementAgent, agent_rows)
    bulk_insert(StatementActivity, activity_rows)
    _store_attachments(parts)


def _refs(model: type[Agent] | type[Verb], column: InstrumentedAttribute[str], values: set[str]) -> dict[str, int]:
    """The ids of agent keys or verb IRIs, the new ones added (in sorted order, so that two batches
    adding the same ones queue instead of deadlocking; a concurrent adder's row is read after it)."""
    if not values:
        return {}
    found: dict[str, int] = dict(
        db.session.execute(select(column, model.id).where(one_of(column, sorted(values)))).all()
    )
    missing = sorted(values - found.keys())
    if missing:
        rows = [{column.key: value} for value in missing]
        if not _insert_apart(insert_ignoring_duplicates(table_of(model)), rows):
            db.session.execute(insert_ignoring_duplicates(table_of(model)), rows)
        found.update(db.session.execute(select(column, model.id).where(one_of(column, missing))).all())
    return found


def _insert_apart(insert: Insert, rows: list[dict[str, Any]]) -> bool:
    """Run an INSERT ... ON CONFLICT DO NOTHING of reference rows (agent keys, verbs, activities first
    seen) in a transaction of its own, committed at once; False where it must run in the session's.

    Another batch that brings the same new keys would otherwise wait on the unique index until this
    transaction ends, projections included: concurrent batches would queue behind each other. The
    rows stand even if this batch is later rolled back (a deadlock's retry finds them): they name
    an agent, a verb or an activity as sent, nothing more. Only where the session has an engine of
    its own (PostgreSQL); a session bound to a connection (the tests' rolled-back transaction) or
    SQLite (one writer at a time) inserts in its own transaction.
    """
    bind = db.session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return False
    with bind.begin() as connection:
        connection.execute(insert, rows)
    return True


def _activity_refs(iris: set[str]) -> dict[str, int]:
    """The ids of activities, every one of them already in lrs_activities (_update_activities)."""
    if not iris:
        return {}
    return dict(
        db.session.execute(
            select(Activity.activity_id, Activity.id).where(one_of(Activity.activity_id, sorted(iris)))
        ).all()
    )


def _store_attachments(parts: Mapping[str, AttachmentPart]) -> None:
    if parts:
        # Content is addressed by its hash: a concurrent writer of the same bytes is no conflict.
        # In hash order, so that two requests with the same new attachments cannot deadlock.
        rows = [
            {"sha2": sha2, "content_type": part.content_type, "content": part.content}
            for sha2, part in sorted(parts.items())
        ]
        db.session.execute(insert_ignoring_duplicates(table_of(Attachment)), rows)


def _update_activities(statements: Iterable[dict[str, Any]], define: bool) -> None:
    """Create the activities first seen, and merge new definitions into the canonical ones.

    Every row is written by one INSERT ... ON CONFLICT, in the order of the IRIs: two batches
    that bring the same new activities in different orders then take their locks in the same
    order and queue instead of deadlocking. The merge runs in the database, on the row as it is
    when the lock is taken, so that concurrent definitions of one activity merge instead of
    the last one replacing the others.
    """
    definitions: dict[str, dict[str, Any]] = {}
    for statement in statements:
        for activity_id, definition in _activity_definitions(statement):
            definitions[activity_id] = _merge_definition(definitions.get(activity_id), definition)
    if not definitions:
        return
    current: dict[str, dict[str, Any] | None] = dict(
        db.session.execute(
            select(Activity.activity_id, Activity.definition).where(one_of(Activity.activity_id, sorted(definitions)))
        ).all()
    )
    new = [
        {"activity_id": activity_id, "definition": (definitions[activity_id] if define else {}) or None}
        for activity_id in sorted(definitions.keys() - current.keys())
    ]
    if new and _insert_apart(insert_ignoring_duplicates(table_of(Activity)), new):
        # Now known (as sent here, or as a concurrent batch sent them first): merged below if that differs.
        current.update(
            db.session.execute(
                select(Activity.activity_id, Activity.definition).where(
                    one_of(Activity.activity_id, [row["activity_id"] for row in new])
                )
            ).all()
        )
    rows = []
    for activity_id in sorted(definitions):
        definition = definitions[activity_id] if define else {}
        # Known and nothing new: no write and no lock, so popular activities do not serialise batches.
        if activity_id in current and (
            not define or _merge_definition(current[activity_id], definition) == (current[activity_id] or {})
        ):
            continue
        rows.append({"activity_id": activity_id, "definition": definition or None})
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if not define:
        db.session.execute(insert_ignoring_duplicates(table_of(Activity)), rows)
        return
    merged: ColumnElement[Any] = literal_column(_MERGE_DEFINITION[dialect])
    if dialect == "postgresql":
        upsert = postgresql.insert(table_of(Activity))
        db.session.execute(
            upsert.on_conflict_do_update(
                index_elements=[Activity.activity_id],
                set_={"definition": merged},
                # The row is locked either way; an unchanged one is not rewritten.
                where=Activity.definition.is_distinct_from(merged),
            ),
            rows,
        )
    else:
        upsert_sqlite = sqlite.insert(table_of(Activity))
        db.session.execute(
            upsert_sqlite.on_conflict_do_update(index_elements=[Activity.activity_id], set_={"definition": merged}),
            rows,
        )


#: _merge_definition() in SQL, from the stored row (lrs_activities) and the new one (excluded):
#: name and description merge per language, other properties are replaced. The only other
#: object-valued property is extensions, which SQLite's json_patch would merge: it is set whole.
_MERGE_DEFINITION = {
    "postgresql": """(CASE
        WHEN jsonb_typeof(lrs_activities.definition) IS DISTINCT FROM 'object' THEN excluded.definition
        WHEN jsonb_typeof(excluded.definition) IS DISTINCT FROM 'object' THEN lrs_activities.definition
        ELSE lrs_activities.definition || excluded.definition || jsonb_strip_nulls(jsonb_build_object(
            'name', CASE WHEN jsonb_typeof(lrs_activities.definition -> 'name') = 'object'
                          AND jsonb_typeof(excluded.definition -> 'name') = 'object'
                         THEN (lrs_activities.definition -> 'name') || (excluded.definition -> 'name') END,
            'description', CASE WHEN jsonb_typeof(lrs_activities.definition -> 'description') = 'object'
                                 AND jsonb_typeof(excluded.definition -> 'description') = 'object'
                                THEN (lrs_activities.definition -> 'description')
                                     || (excluded.definition -> 'description') END))
    END)""",
    "sqlite": """(CASE
        WHEN json_type(lrs_activities.definition) IS NOT 'object' THEN excluded.definition
        WHEN json_type(excluded.definition) IS NOT 'object' THEN lrs_activities.definition
        WHEN json_type(excluded.definition, '$.extensions') IS NULL
            THEN json_patch(lrs_activities.definition, excluded.definition)
        ELSE json_set(json_patch(lrs_activities.definition, excluded.definition),
                      '$.extensions', json_extract(excluded.definition, '$.extensions'))
    END)""",
}
