"""What ``celery -A jobs.worker:celery_app worker`` and ``... beat`` load: the platform's app and its Celery app."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

from academy import create_app
from jobs.broker import declare_queues

flask_app = create_app()
celery_app: Celery = flask_app.extensions["celery"]


@worker_init.connect(weak=False)
@beat_init.connect(weak=False)
def _declare_queues(**_kwargs: Any) -> None:
    # Before the worker's consumer (or beat) declares them itself, with no guard against another
    # process declaring them at the same moment (jobs.broker): a start-up that tolerates the race.
    try:
        declare_queues(celery_app)
    except Exception as error:
        # A broker that is down: the worker's own connection retries (broker_connection_retry_on_startup).
        flask_app.logger.warning("the broker's queues were not declared at start: %s", error)
