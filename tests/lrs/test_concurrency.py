"""Concurrent writes to the LRS: batches that bring the same new activities in different orders
store without deadlocking, and a lost race is run again inside the request instead of answering 500."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

import lrs.views
from academy.db import db
from academy.ifi import agent_key
from lrs.models import Activity, Agent, Statement, StatementActivity, StatementAgent, StatementId
from lrs.statements import store_statements
from lrs.versions import XapiVersion
from tests.support.lrs import Xapi, statement

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://academy.test", "name": "race-test"}}


def about(activity_id: str, language: str) -> dict[str, Any]:
    return statement(
        id=str(uuid.uuid4()),
        object={"objectType": "Activity", "id": activity_id, "definition": {"name": {language: activity_id[-1]}}},
    )


# --- no deadlock on first-seen activities (PostgreSQL) -----------------------------------------------

#: Pauses before each row of this test's activities is inserted, so that two concurrent batches have
#: each taken the lock of their first new activity before either asks for its second one.
_PAUSE_SQL = """
CREATE FUNCTION lrs_test_pause() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.activity_id LIKE 'https://academy.test/race/%' THEN PERFORM pg_sleep(0.5); END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lrs_test_pause BEFORE INSERT ON lrs_activities FOR EACH ROW EXECUTE FUNCTION lrs_test_pause();
"""


@pytest.fixture
def paused_activity_inserts(app: Flask, database_url: str) -> Iterator[str]:
    """The IRI prefix of activities whose inserts pause; everything the test commits is removed after."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite has one writer at a time: concurrent batches queue for the database lock, no deadlock")
    prefix = f"https://academy.test/race/{uuid.uuid4().hex}/"
    with app.app_context():
        db.session.execute(text(_PAUSE_SQL))
        db.session.commit()
    try:
        yield prefix
    finally:
        with app.app_context():
            db.session.execute(text("DROP TRIGGER lrs_test_pause ON lrs_activities; DROP FUNCTION lrs_test_pause()"))
            raced = select(Statement.pk).where(
                Statement.object_activity_ref.in_(select(Activity.id).where(Activity.activity_id.startswith(prefix)))
            )
            # Index rows have no foreign key to cascade from: removed with their statements.
            for index_table in (StatementAgent, StatementActivity):
                db.session.execute(delete(index_table).where(index_table.statement_pk.in_(raced)))
            db.session.execute(delete(Statement).where(Statement.pk.in_(raced)))
            db.session.execute(delete(Activity).where(Activity.activity_id.startswith(prefix)))
            db.session.commit()


@pytest.mark.own_database
def test_batches_bringing_the_same_new_activities_in_opposite_orders_both_store(
    app: Flask, paused_activity_inserts: str
) -> None:
    first, second = f"{paused_activity_inserts}a", f"{paused_activity_inserts}b"
    batches = [
        [about(first, "en-US"), about(second, "en-US")],
        [about(second, "th-TH"), about(first, "th-TH")],
    ]
    start = threading.Barrier(len(batches))
    errors: list[BaseException] = []

    def store(batch: list[dict[str, Any]]) -> None:
        with app.app_context():
            try:
                start.wait()
                # Deliberately not retried: the write itself must not deadlock.
                store_statements(batch, version=XapiVersion.V2, authority=AUTHORITY)
                db.session.commit()
            except BaseException as error:  # reported by the test
                errors.append(error)
                db.session.rollback()

    threads = [threading.Thread(target=store, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    with app.app_context():
        stored = db.session.scalar(
            select(db.func.count()).where(
                Statement.object_activity_ref.in_(
                    select(Activity.id).where(Activity.activity_id.startswith(paused_activity_inserts))
                )
            )
        )
        definitions: dict[str, Any] = dict(
            db.session.execute(
                select(Activity.activity_id, Activity.definition).where(
                    Activity.activity_id.startswith(paused_activity_inserts)
                )
            ).all()
        )
    assert stored == 4
    # Each activity was defined by both batches, in two languages: the definitions merged.
    assert definitions == {
        first: {"name": {"en-US": "a", "th-TH": "a"}},
        second: {"name": {"en-US": "b", "th-TH": "b"}},
    }


# --- new agents and activities do not make batches wait for each other (PostgreSQL) -----------------


@pytest.mark.own_database
def test_a_batch_does_not_wait_for_an_open_batch_that_brought_the_same_new_agent_and_activity(
    app: Flask, database_url: str
) -> None:
    """The first batch's transaction stays open (its projections at work); the second, with the same
    first-seen agent and activity, stores at once rather than waiting on the unique index for it."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    activity = f"https://academy.test/apart/{uuid.uuid4().hex}"
    actor = {"objectType": "Agent", "mbox": f"mailto:{uuid.uuid4().hex}@example.go.th"}
    first_stored, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_open() -> None:
        with app.app_context():
            try:
                store_statements(
                    [statement(id=str(uuid.uuid4()), actor=actor, object={"objectType": "Activity", "id": activity})],
                    version=XapiVersion.V2,
                    authority=AUTHORITY,
                )
                first_stored.set()
                release.wait(30)
            except BaseException as error:  # reported by the test
                errors.append(error)
            finally:
                first_stored.set()
                db.session.rollback()  # the first batch never commits

    holder = threading.Thread(target=hold_open)
    holder.start()
    second = uuid.uuid4()
    try:
        assert first_stored.wait(30)
        with app.app_context():
            db.session.execute(text("SET LOCAL lock_timeout = '3s'"))  # a wait fails the test, not hangs it
            store_statements(
                [statement(id=str(second), actor=actor, object={"objectType": "Activity", "id": activity})],
                version=XapiVersion.V2,
                authority=AUTHORITY,
            )
            db.session.commit()
    finally:
        release.set()
        holder.join(30)
        with app.app_context():
            mine = select(Statement.pk).where(Statement.id == second)
            for index_table in (StatementAgent, StatementActivity):
                db.session.execute(delete(index_table).where(index_table.statement_pk.in_(mine)))
            db.session.execute(delete(Statement).where(Statement.id == second))
            db.session.execute(delete(StatementId).where(StatementId.id == second))
            db.session.execute(delete(Activity).where(Activity.activity_id == activity))
            db.session.execute(delete(Agent).where(Agent.agent_key == agent_key(actor)))
            db.session.commit()
    assert errors == []


# --- the merge of definitions, now done by the database ------------------------------------------


def test_a_new_definition_merges_languages_and_replaces_other_properties(xapi: Xapi) -> None:
    activity_id = "https://academy.test/courses/merge"
    old = {
        "name": {"en-US": "Old"},
        "description": {"en-US": "Old text"},
        "type": "http://adlnet.gov/expapi/activities/lesson",
        "extensions": {"https://academy.test/ext/a": 1},
    }
    new = {
        "name": {"th-TH": "ใหม่", "en-US": "New"},
        "type": "http://adlnet.gov/expapi/activities/module",
        "extensions": {"https://academy.test/ext/b": None},
    }
    for definition in (old, new):
        body = statement(object={"objectType": "Activity", "id": activity_id, "definition": definition})
        assert xapi("POST", "/xapi/statements", json_body=body).status_code == 200
    stored = xapi("GET", "/xapi/activities", query_string={"activityId": activity_id}).get_json()
    assert stored["definition"] == {
        "name": {"en-US": "New", "th-TH": "ใหม่"},
        "description": {"en-US": "Old text"},
        "type": "http://adlnet.gov/expapi/activities/module",
        "extensions": {"https://academy.test/ext/b": None},
    }


# --- a lost race is run again inside the request ---------------------------------------------------


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


LOST_RACES: dict[str, Callable[[], DBAPIError]] = {
    "deadlock": lambda: DBAPIError("INSERT ...", {}, _Orig("40P01")),
    "serialisation failure": lambda: DBAPIError("INSERT ...", {}, _Orig("40001")),
    "a concurrent insert of the same key": lambda: IntegrityError("INSERT ...", {}, _Orig("23505")),
}


@pytest.mark.parametrize("race", LOST_RACES)
def test_a_batch_that_loses_a_race_is_stored_by_running_it_again(
    xapi: Xapi, monkeypatch: pytest.MonkeyPatch, race: str
) -> None:
    real_store = lrs.views.store_statements
    calls: list[int] = []

    def losing_once(*args: Any, **kwargs: Any) -> list[uuid.UUID]:
        calls.append(1)
        ids = real_store(*args, **kwargs)  # everything written, then the race is lost: all of it rolls back
        if len(calls) == 1:
            raise LOST_RACES[race]()
        return ids

    monkeypatch.setattr(lrs.views, "store_statements", losing_once)
    body = [statement(id=str(uuid.uuid4())), statement(id=str(uuid.uuid4()))]
    response = xapi("POST", "/xapi/statements", json_body=body)
    assert response.status_code == 200
    assert response.get_json() == [body[0]["id"], body[1]["id"]]
    assert len(calls) == 2
    stored = db.session.scalars(select(Statement.id).where(Statement.id.in_([uuid.UUID(s["id"]) for s in body])))
    assert sorted(str(i) for i in stored) == sorted(s["id"] for s in body)


def test_a_document_write_that_loses_a_race_is_run_again(xapi: Xapi, monkeypatch: pytest.MonkeyPatch) -> None:
    real_put = lrs.views.put_document
    calls: list[int] = []

    def losing_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        document = real_put(*args, **kwargs)
        if len(calls) == 1:
            raise LOST_RACES["deadlock"]()
        return document

    monkeypatch.setattr(lrs.views, "put_document", losing_once)
    params = {"activityId": "https://academy.test/courses/x", "agent": '{"mbox": "mailto:a@example.go.th"}'}
    response = xapi("PUT", "/xapi/activities/state", query_string={**params, "stateId": "s"}, data=b"{}")
    assert response.status_code == 204
    assert len(calls) == 2
    assert xapi("GET", "/xapi/activities/state", query_string=params).get_json() == ["s"]


def test_other_database_errors_are_not_run_again(xapi: Xapi, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def failing(*args: Any, **kwargs: Any) -> list[uuid.UUID]:
        calls.append(1)
        raise IntegrityError("INSERT ...", {}, _Orig("23503"))

    monkeypatch.setattr(lrs.views, "store_statements", failing)
    with pytest.raises(IntegrityError):
        xapi("POST", "/xapi/statements", json_body=statement())
    assert len(calls) == 1
