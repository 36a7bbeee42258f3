"""The broker's queues declared before use: several processes at once on the embedded broker all succeed."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from flask import Flask

from academy import create_app
from tests.support.app import make_settings
from tests.support.jobs import declare_together

# kombu's SQL transport (the embedded broker) declares its relationships with noload (SQLAlchemy 2.1 deprecates it).
pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:sqlalchemy.exc.SADeprecationWarning")


def _queues(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM kombu_queue")]


def test_processes_declaring_the_queues_at_once_all_succeed(tmp_path: Path) -> None:
    # Without the retry, three processes on a fresh broker lose the race about one round in three
    # ("UNIQUE constraint failed: kombu_queue.name", "table kombu_queue already exists").
    context = multiprocessing.get_context("fork")
    processes_per_round = 4
    for round_ in range(4):
        broker = tmp_path / f"broker{round_}.sqlite3"
        barrier = context.Barrier(processes_per_round)
        results = context.Queue()
        processes = [
            context.Process(target=declare_together, args=(f"sqla+sqlite:///{broker}", barrier, results))
            for _ in range(processes_per_round)
        ]
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=60) for _ in processes]
        for process in processes:
            process.join(30)
        assert outcomes == ["declared"] * processes_per_round
        assert _queues(broker) == ["academy"]


def test_the_cli_declares_the_queues(tmp_path: Path) -> None:
    broker = tmp_path / "broker.sqlite3"
    app: Flask = create_app(settings=make_settings("sqlite://", ACADEMY_CELERY_BROKER_URL=f"sqla+sqlite:///{broker}"))
    runner = app.test_cli_runner()
    with app.app_context():
        try:
            result = runner.invoke(args=["academy", "jobs-declare-queues"])
            assert result.exit_code == 0, result.output
            assert result.output.strip() == "declared: academy"
            assert _queues(broker) == ["academy"]
            # Again: the queue is there, nothing changes.
            assert runner.invoke(args=["academy", "jobs-declare-queues"]).exit_code == 0
            assert _queues(broker) == ["academy"]
        finally:
            app.extensions["celery"].close()
