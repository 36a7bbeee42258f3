"""The LRS's part of a person's own data: their statements in *My data*, and their erasure.

Erasure is the one deliberate exception to statement immutability (README, The person's own
data): a person who has left is replaced, in every stored statement and index row, by one
pseudonymous account, so that aggregates and coverage history stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import LargeBinary, delete, func, select, tuple_, type_coerce, update

from academy.db import bulk_insert, db, insert_ignoring_duplicates
from academy.ifi import IFI_PROPERTIES, agent_key
from academy.org.events import ErasedPerson
from academy.privacy import DataSubject, RawJson
from lrs.documents import AGENT_PROFILE, STATE
from lrs.models import Agent, Attachment, Document, Statement, StatementAgent, refs_of_agents
from lrs.payloads import payload_text
from lrs.signatures import SIGNATURE_USAGE
from lrs.statements.indexing import _index_rows

#: Statements rewritten per round trip.
BATCH = 500


def statement_count(subject: DataSubject) -> int:
    """How many statements *My data* holds for the subject (whether it is built as a background job)."""
    if not subject.identifier_keys:
        return 0
    query = select(func.count()).where(Statement.actor_ref.in_(refs_of_agents(subject.identifier_keys)))
    return int(db.session.scalar(query) or 0)


def statement_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    """The statements whose actor is one of the subject's identifiers, as stored, oldest first.

    The statement is read as the database's JSON text and written out as it is (RawJson): no
    decoding and encoding again of thousands of statements.
    """
    if not subject.identifier_keys:
        return
    query = (
        select(
            Statement.id,
            Statement.timestamp,
            Statement.stored,
            Statement.verb_id,
            Statement.object_activity_id,
            Statement.voided,
            type_coerce(Statement.payload, LargeBinary),
        )
        .where(Statement.actor_ref.in_(refs_of_agents(subject.identifier_keys)))
        .order_by(Statement.pk)
        .execution_options(yield_per=BATCH)
    )
    for statement_id, timestamp, stored, verb, target, voided, payload in db.session.execute(query):
        yield {
            "id": statement_id,
            "timestamp": timestamp,
            "stored": stored,
            "verb": verb,
            "object": target,
            "voided": voided,
            "statement": RawJson(payload_text(payload)),
        }


# --- erasure --------------------------------------------------------------------------------------


def _is_former(node: Mapping[str, Any], former: frozenset[str]) -> bool:
    try:
        key = agent_key(node)
    except ValueError:  # an object that looks like an agent but is none (a malformed mbox in an extension)
        return False
    return key is not None and key in former


def replace_agents(value: Any, former: frozenset[str], pseudonym: Mapping[str, Any]) -> Any:
    """A copy of ``value`` in which every agent or group identified by a former key is the pseudonym.

    It walks the whole statement: actor, object agents, sub-statements, context instructor and
    team, contextAgents and contextGroups, authority, and the members of every group. The agent's
    name goes with its identifier; the objectType and a group's other members stay.
    """
    if isinstance(value, list):
        return [replace_agents(item, former, pseudonym) for item in value]
    if not isinstance(value, dict):
        return value
    copy = {key: replace_agents(item, former, pseudonym) for key, item in value.items()}
    if _is_former(value, former):
        for name in (*IFI_PROPERTIES, "name"):
            copy.pop(name, None)
        copy["account"] = dict(pseudonym["account"])
        copy.setdefault("objectType", pseudonym.get("objectType", "Agent"))
    return copy


def _without_signatures(statement: dict[str, Any], dropped: set[str]) -> dict[str, Any]:
    """Drop signature attachments: their JWS holds the statement as first signed, with the former identifiers."""
    attachments = statement.get("attachments")
    if not attachments:
        return statement
    kept = [a for a in attachments if a.get("usageType") != SIGNATURE_USAGE]
    dropped.update(str(a.get("sha2", "")).lower() for a in attachments if a.get("usageType") == SIGNATURE_USAGE)
    statement = dict(statement)
    if kept:
        statement["attachments"] = kept
    else:
        statement.pop("attachments")
    return statement


def erase_agent(erased: ErasedPerson) -> dict[str, int]:
    """Replace the person's identifiers by the pseudonym in every statement and index row; drop their documents."""
    former = erased.former_keys
    mentioning = (
        select(StatementAgent.statement_pk).where(StatementAgent.agent_ref.in_(refs_of_agents(former))).distinct()
    )
    pks = sorted(
        set(db.session.scalars(mentioning))
        | set(db.session.scalars(select(Statement.pk).where(Statement.actor_ref.in_(refs_of_agents(former)))))
    )
    pseudonym_key = agent_key(erased.pseudonym_agent)
    refs: dict[str, int] = {}
    if pks and pseudonym_key:
        db.session.execute(insert_ignoring_duplicates(Agent).values([{"agent_key": pseudonym_key}]))
    dropped: set[str] = set()
    for start in range(0, len(pks), BATCH):
        chunk = pks[start : start + BATCH]
        rows = db.session.execute(
            select(Statement.pk, Statement.payload, Statement.stored, Statement.verb_ref)
            .where(Statement.pk.in_(chunk))
            .with_for_update()
        ).all()
        rewritten = []
        stored_at, verb_of = {}, {}
        for pk, payload, stored, verb_ref in rows:
            stored_at[pk], verb_of[pk] = stored, verb_ref
            statement = _without_signatures(replace_agents(payload, former, erased.pseudonym_agent), dropped)
            old_agents, _activities = _index_rows(payload)
            new_agents, _activities = _index_rows(statement)
            rewritten.append((pk, statement, old_agents, new_agents))
        keys = {k for _pk, _s, old, new in rewritten for k, _d in old | new} - refs.keys()
        if keys:
            refs.update(db.session.execute(select(Agent.agent_key, Agent.id).where(Agent.agent_key.in_(keys))).all())
        updates, old_rows, index_rows = [], [], []
        for pk, statement, old_agents, new_agents in rewritten:
            actor = agent_key(statement["actor"])
            updates.append(
                {
                    "pk": pk,
                    "payload": statement,
                    "actor_ref": refs[actor] if actor else None,
                    "has_attachments": bool(statement.get("attachments")),
                }
            )
            # Index rows are found by their key (agent, direct, statement): there is no index by statement.
            old_rows += [(refs[key], direct, pk, stored_at[pk]) for key, direct in old_agents]
            index_rows += [
                {
                    "agent_ref": refs[key],
                    "direct": direct,
                    "statement_pk": pk,
                    "stored": stored_at[pk],
                    "verb_ref": verb_of[pk],
                }
                for key, direct in new_agents
            ]
        db.session.execute(update(Statement), updates)
        db.session.execute(
            delete(StatementAgent).where(
                tuple_(
                    StatementAgent.agent_ref, StatementAgent.direct, StatementAgent.statement_pk, StatementAgent.stored
                ).in_(old_rows)
            )
        )
        bulk_insert(StatementAgent, index_rows)
    # The former keys themselves: no statement or index row refers to them any more.
    db.session.execute(delete(Agent).where(Agent.agent_key.in_(former)))
    if dropped:
        db.session.execute(delete(Attachment).where(Attachment.sha2.in_(dropped)))
    removed = db.session.execute(
        delete(Document).where(Document.kind.in_((STATE, AGENT_PROFILE)), Document.agent_key.in_(former))
    )
    documents = int(getattr(removed, "rowcount", 0) or 0)
    return {"statements_rewritten": len(pks), "lrs_documents_removed": documents, "signatures_removed": len(dropped)}


def on_person_erased(sender: object, erased: ErasedPerson) -> dict[str, int]:
    """The receiver of academy.org.events.person_erased."""
    return erase_agent(erased)
