"""Declaring the broker's queues once, before the web server and the workers use them.

The embedded broker (kombu's SQLAlchemy transport) creates its tables and a queue's row the
first time a process declares the queue, with no guard against another process doing the same
at that moment: the second dies with ``UNIQUE constraint failed: kombu_queue.name`` (or
"table kombu_queue already exists"). Declared beforehand (``flask academy jobs-declare-queues``,
which ``make run`` calls, and again when a worker starts), every later declaration finds the
row. A collision here means another process has just made the row: declaring again finds it.
"""

from __future__ import annotations

import time

from celery import Celery
from sqlalchemy.exc import IntegrityError, OperationalError

#: Attempts, and the pause between them (seconds, growing), before a collision is given up on.
ATTEMPTS = 10
PAUSE = 0.05


def declare_queues(celery: Celery, attempts: int = ATTEMPTS) -> list[str]:
    """Declare the app's queues on its broker (tables included, on the SQL broker); return their names.

    Safe to run in several processes at once: a lost race (the row or the table was made by
    another process in between) is retried on a fresh connection, where the declaration finds it.
    """
    queues = list(celery.amqp.queues.values())
    for attempt in range(1, attempts + 1):
        try:
            with celery.connection_for_write() as connection:
                channel = connection.default_channel
                for queue in queues:
                    queue.bind(channel).declare()
            return [str(queue.name) for queue in queues]
        except (IntegrityError, OperationalError):
            if attempt == attempts:
                raise
            time.sleep(PAUSE * attempt)
    raise AssertionError("unreachable")
