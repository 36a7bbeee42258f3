"""The statement pipeline's hook: subscribers registered at start-up receive stored statements.

``store_statements()`` calls each subscriber, in the same transaction, with the
statements it has just stored (and the ids it has just voided). Subscribers come from
other packages; the LRS knows nothing of them. The LRS's own first subscriber locks the
batch's people (lock_batch_people), so that no two batches project one person at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from academy.db import db
from academy.ifi import agent_key
from academy.org.models import PersonIdentifier
from academy.projections import lock_people
from lrs.clients import Writer
from lrs.models import Statement


@dataclass(frozen=True)
class StoredBatch:
    """What one call of store_statements() stored."""

    statements: Sequence[dict[str, Any]]
    voided_ids: Sequence[uuid.UUID]
    #: Who stored them: projections believe a statement according to its writer (README, Trust model).
    writer: Writer


Subscriber = Callable[[StoredBatch], None]
_KEY = "lrs.subscribers"


def register_subscriber(app: Flask, subscriber: Subscriber) -> None:
    """Have ``subscriber`` receive every batch stored in this app."""
    app.extensions.setdefault(_KEY, []).append(subscriber)


def subscribers() -> list[Subscriber]:
    return list(current_app.extensions.get(_KEY, []))


def publish(batch: StoredBatch) -> None:
    for subscriber in subscribers():
        subscriber(batch)


def people_of_statements(batch: StoredBatch) -> set[int]:
    """The people whose projections a stored batch may change: its actors and the voided statements' actors."""
    keys = {key for statement in batch.statements if (key := agent_key(statement.get("actor") or {}))}
    if batch.voided_ids:
        keys |= {
            key
            for key in db.session.scalars(select(Statement.actor_key).where(Statement.id.in_(batch.voided_ids)))
            if key
        }
    if not keys:
        return set()
    return set(db.session.scalars(select(PersonIdentifier.person_id).where(PersonIdentifier.key.in_(keys))))


def lock_batch_people(batch: StoredBatch) -> None:
    """The first statement subscriber: lock every person the batch concerns before any projection reads."""
    lock_people(people_of_statements(batch))
