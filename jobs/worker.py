"""What ``celery -A jobs.worker:celery_app worker`` and ``... beat`` load: the platform's app and its Celery app."""

from __future__ import annotations

from celery import Celery

from academy import create_app

flask_app = create_app()
celery_app: Celery = flask_app.extensions["celery"]
