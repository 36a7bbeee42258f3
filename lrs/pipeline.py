"""The statement pipeline's hook: subscribers registered at start-up receive stored statements.

``store_statements()`` calls each subscriber, in the same transaction, with the
statements it has just stored (and the ids it has just voided). Subscribers come from
other packages; the LRS knows nothing of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from lrs.clients import Writer


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
