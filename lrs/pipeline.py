"""The statement pipeline: a registry of projections, each fed the stored batches and able to rebuild itself.

``store_statements()`` hands each projection, in the same transaction and in the order they
registered, the statements it has just stored (and the ids it has just voided). A projection
also says how it rebuilds itself from every stored statement (``rebuild-projections``, lrs/cli.py)
and, if it is to be compared, which rows it holds (``rebuild_and_compare``). Projections come
from other packages; the LRS knows nothing of them. The LRS's own first projection locks the
batch's people (lock_batch_people), so that no two batches project one person at once.

A statement a projection stores while a batch is being handed out (cmi5 ``satisfied``, the
player's ``completed``) is queued: every projection sees the current batch whole before it
sees the next.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import select

from academy.db import db
from academy.ifi import agent_key
from academy.org.models import PersonIdentifier
from academy.projections import Snapshot, lock_people
from lrs.clients import Writer
from lrs.models import Statement


@dataclass(frozen=True)
class StoredBatch:
    """What one call of store_statements() stored."""

    statements: Sequence[dict[str, Any]]
    voided_ids: Sequence[uuid.UUID]
    #: Who stored them: projections believe a statement according to its writer (README, Trust model).
    writer: Writer
    #: What several projections ask of the batch, worked out once (people_by_key).
    known: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


Subscriber = Callable[[StoredBatch], None]
Progress = Callable[[int], None]
#: Rebuild from every stored statement, reporting work done to ``progress``; return how many things it rebuilt.
Rebuild = Callable[[Progress | None], int]


@dataclass(frozen=True)
class Projection:
    """A projection of the stored statements: what it applies to a batch, and how it rebuilds itself."""

    name: str
    apply: Subscriber
    rebuild: Rebuild | None = None
    #: The rows it holds, per table, as comparable tuples (rebuild_and_compare).
    snapshot: Callable[[], Snapshot] | None = None
    #: How much work a rebuild will report, and in what unit (the progress bar).
    size: Callable[[], int] | None = None
    unit: str = "rows"
    #: What the rebuild's count counts, in the command's summary line ("evidence rows").
    label: str = ""


_KEY = "lrs.projections"
_QUEUE = "lrs_pending_batches"


def register_projection(
    app: Flask,
    name: str,
    apply: Subscriber,
    rebuild: Rebuild | None,
    snapshot: Callable[[], Snapshot] | None = None,
    *,
    size: Callable[[], int] | None = None,
    unit: str = "rows",
    label: str = "",
) -> Projection:
    """Have ``apply`` receive every batch stored in this app, and ``rebuild-projections`` run ``rebuild``."""
    projection = Projection(name, apply, rebuild, snapshot, size, unit, label or name)
    app.extensions.setdefault(_KEY, []).append(projection)
    return projection


def register_subscriber(app: Flask, subscriber: Subscriber) -> Projection:
    """Have ``subscriber`` receive every batch stored in this app; it has nothing to rebuild."""
    return register_projection(app, getattr(subscriber, "__name__", "subscriber"), subscriber, None)


def projections() -> list[Projection]:
    """This app's projections, in the order they registered (the order they see a batch and rebuild)."""
    return list(current_app.extensions.get(_KEY, []))


def publish(batch: StoredBatch) -> None:
    """Hand ``batch`` to every projection; a batch stored meanwhile by a projection waits its turn."""
    pending: list[StoredBatch] | None = g.get(_QUEUE)
    if pending is not None:
        pending.append(batch)
        return
    pending = [batch]
    setattr(g, _QUEUE, pending)
    try:
        while pending:
            current = pending.pop(0)
            for projection in projections():
                projection.apply(current)
    finally:
        g.pop(_QUEUE, None)


def snapshot_projections() -> Snapshot:
    """Every projection's rows as comparable tuples (without the moments they were computed at)."""
    snapshot: Snapshot = {}
    for projection in projections():
        if projection.snapshot is not None:
            snapshot.update(projection.snapshot())
    return snapshot


def rebuild_and_compare() -> dict[str, tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]]:
    """Rebuild every projection in this transaction and return, per table, the rows only live had
    and the rows only the rebuild has (both empty when they agree). The caller commits or rolls back."""
    live = snapshot_projections()
    for projection in projections():
        if projection.rebuild is not None:
            projection.rebuild(None)
    db.session.flush()
    rebuilt = snapshot_projections()
    return {name: (live[name] - rebuilt[name], rebuilt[name] - live[name]) for name in live}


def people_of_statements(batch: StoredBatch) -> set[int]:
    """The people whose projections a stored batch may change: its actors and the voided statements' actors.

    Read once a batch (the lock takes them first, the credentials projection again): identifiers do
    not change while a batch is handed out.
    """
    return set(people_by_key(batch).values())


def people_by_key(batch: StoredBatch) -> dict[str, int]:
    """The registered identifiers among the batch's actors and the voided statements' actors: agent key -> person.

    Read once a batch, with people_of_statements(); a projection asks it rather than look its actors up again.
    """
    if "people_by_key" not in batch.known:
        batch.known["people_by_key"] = _people_by_key(batch)
    return dict(batch.known["people_by_key"])


def _people_by_key(batch: StoredBatch) -> dict[str, int]:
    keys = {key for statement in batch.statements if (key := agent_key(statement.get("actor") or {}))}
    if batch.voided_ids:
        keys |= {
            key
            for key in db.session.scalars(select(Statement.actor_key).where(Statement.id.in_(batch.voided_ids)))
            if key
        }
    if not keys:
        return {}
    return dict(
        db.session.execute(
            select(PersonIdentifier.key, PersonIdentifier.person_id).where(PersonIdentifier.key.in_(keys))
        ).all()
    )


def lock_batch_people(batch: StoredBatch) -> None:
    """The first statement subscriber: lock every person the batch concerns before any projection reads."""
    lock_people(people_of_statements(batch))
