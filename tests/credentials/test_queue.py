"""Credentials issued by a worker (ACADEMY_CREDENTIALS_ISSUE_IN=job): the ingest queues people, the worker
issues and revokes exactly what the request would have, and the rebuild agrees."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from academy.config import ConfigError
from academy.db import db
from academy.org.models import Person
from credentials.models import CredentialQueue, CredentialRevocation, IssuedCredential, RevocationReason
from credentials.services.holding import held_credentials
from credentials.services.issuing import ISSUE_TASK, issue_queued
from lrs import rebuild_and_compare
from tests.credentials.conftest import completion, store_as_player, void_as_player
from tests.support.app import make_settings


@pytest.fixture
def in_job(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Issue in a job; returns the names of the tasks sent to the broker."""
    monkeypatch.setitem(app.config, "ACADEMY_CREDENTIALS_ISSUE_IN", "job")
    sent: list[str] = []

    def send_task(name: str, *args: Any, **kwargs: Any) -> None:
        sent.append(name)

    monkeypatch.setattr(app.extensions["celery"], "send_task", send_task)
    return sent


def queued() -> set[int]:
    return set(db.session.scalars(select(CredentialQueue.person_id)))


def issued_count() -> int:
    return db.session.scalar(select(func.count()).select_from(IssuedCredential)) or 0


def test_a_completion_queues_its_person_and_the_worker_issues_what_the_request_would_have(
    in_job: list[str], complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    complete_course()
    assert issued_count() == 0 and queued() == {learner.id}
    assert in_job == []  # sent once the transaction commits, so that the worker finds the queue's rows
    db.session.commit()
    assert in_job == [ISSUE_TASK]
    assert issue_queued() == (1, 2, 0)
    assert queued() == set()
    held = {credential.source_key for credential in held_credentials(learner.id)}
    assert "course:DG101" in held and len(held) == 2
    assert issue_queued() == (0, 0, 0)  # nothing left: nothing issued twice


def test_a_batch_of_people_all_waiting_already_sends_no_task(
    in_job: list[str], complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    complete_course()
    db.session.commit()
    assert in_job == [ISSUE_TASK]
    complete_course(timestamp="2026-03-02T09:00:00Z")  # still queued: the task sent for the first takes both
    db.session.commit()
    assert in_job == [ISSUE_TASK] and queued() == {learner.id}
    assert issue_queued() == (1, 2, 0)
    db.session.commit()
    complete_course(timestamp="2026-03-03T09:00:00Z")  # queued anew: a task again
    db.session.commit()
    assert in_job == [ISSUE_TASK, ISSUE_TASK] and queued() == {learner.id}


def test_a_void_revokes_through_the_queue_and_the_rebuild_agrees(
    in_job: list[str], complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    first = complete_course()
    issue_queued()
    void_as_player(first)
    assert queued() == {learner.id} and not db.session.scalars(select(CredentialRevocation)).all()
    assert issue_queued() == (1, 0, 2)
    assert {r.reason for r in db.session.scalars(select(CredentialRevocation))} == {RevocationReason.VOIDED}
    complete_course(timestamp="2026-04-01T09:00:00Z")
    issue_queued()
    differences = rebuild_and_compare()
    assert all(not live and not rebuilt for live, rebuilt in differences.values())


def test_the_rebuild_empties_the_queue(in_job: list[str], complete_course: Callable[..., uuid.UUID]) -> None:
    complete_course()
    assert queued()
    rebuild_and_compare()
    assert queued() == set() and issued_count() == 2


def test_batches_that_change_nobodys_credentials_queue_nobody(in_job: list[str], learner: Person) -> None:
    store_as_player(
        {
            **completion("somying@example.go.th", "https://academy.test/x"),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        }
    )
    assert queued() == set()


def test_the_setting_is_request_or_job(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    from academy import create_app

    monkeypatch.setenv("ACADEMY_CREDENTIALS_ISSUE_IN", "later")
    with pytest.raises(ConfigError, match="ACADEMY_CREDENTIALS_ISSUE_IN"):
        create_app(settings=make_settings(database_url))
    monkeypatch.delenv("ACADEMY_CREDENTIALS_ISSUE_IN")
    assert create_app(settings=make_settings(database_url)).config["ACADEMY_CREDENTIALS_ISSUE_IN"] == "request"


def test_the_worker_runs_the_task_until_the_queue_is_empty_and_beat_sends_it(
    app: Flask, in_job: list[str], complete_course: Callable[..., uuid.UUID], learner: Person
) -> None:
    celery = app.extensions["celery"]
    assert any(entry["task"] == ISSUE_TASK for entry in celery.conf.beat_schedule.values())
    complete_course()
    db.session.commit()
    assert celery.tasks[ISSUE_TASK].apply().get() == 1  # people reconciled
    db.session.expire_all()
    assert queued() == set() and len(held_credentials(learner.id)) == 2
