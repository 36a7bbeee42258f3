"""load_statements, the bulk path of benchmarks and data migrations: the rows store_statements
writes, built by the same code, at the stored time given, and no projection sees them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from academy.db import db
from lrs import StoredBatch, XapiVersion, store_statements
from lrs.models import Statement, StatementActivity, StatementAgent, StatementId
from lrs.pipeline import register_subscriber
from lrs.statements import load_statements
from tests.support.lrs import Xapi, statement

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://academy.test", "name": "loader"}}


def _rich(statement_id: uuid.UUID) -> dict[str, Any]:
    """A statement with context activities (one given as an object), an instructor, a registration."""
    return statement(
        id=str(statement_id),
        context={
            "registration": "6f6a3b4e-4bb5-4d6a-9d8f-6a1b1f1e2c3d",
            "instructor": {"objectType": "Agent", "mbox": "mailto:teacher@example.go.th"},
            "contextActivities": {
                "parent": {"id": "https://academy.test/courses/digital-literacy/module-1"},
                "category": [{"id": "https://academy.test/standard/digital"}],
            },
        },
        result={"success": True, "completion": True},
    )


def _rows(statement_id: uuid.UUID) -> tuple[dict[str, Any], set[tuple[int, ...]], set[tuple[int, bool]]]:
    """The statement's row (without id, pk, stored), and its agent (with their verb) and activity index rows."""
    row = db.session.scalars(select(Statement).where(Statement.id == statement_id)).one()
    payload = {k: v for k, v in row.payload.items() if k not in ("id", "stored", "timestamp")}
    columns = {
        "payload": payload,
        "actor_ref": row.actor_ref,
        "verb_ref": row.verb_ref,
        "object_activity_ref": row.object_activity_ref,
        "registration": row.registration,
        "voided": row.voided,
        "client_id": row.client_id,
        "has_attachments": row.has_attachments,
    }
    agents = set(
        db.session.execute(
            select(StatementAgent.agent_ref, StatementAgent.direct, StatementAgent.verb_ref).where(
                StatementAgent.statement_pk == row.pk
            )
        ).all()
    )
    activities = set(
        db.session.execute(
            select(StatementActivity.activity_ref, StatementActivity.direct).where(
                StatementActivity.statement_pk == row.pk
            )
        ).all()
    )
    return columns, {tuple(a) for a in agents}, {tuple(a) for a in activities}


def test_bulk_rows_are_the_write_paths_rows() -> None:
    sent, loaded = uuid.uuid4(), uuid.uuid4()
    store_statements(_rich(sent), version=XapiVersion.V1, authority=AUTHORITY)
    moment = datetime(2026, 1, 15, 8, 30, 0, 123456, tzinfo=UTC)
    load_statements([_rich(loaded)], stored=moment, authority=AUTHORITY)
    db.session.flush()

    assert _rows(loaded) == _rows(sent)
    columns, agents, _activities = _rows(loaded)
    assert agents and {verb for _agent, _direct, verb in agents} == {columns["verb_ref"]}
    row = db.session.scalars(select(Statement).where(Statement.id == loaded)).one()
    # Stored at the time given, to the millisecond, as the write path stores it.
    assert row.stored == datetime(2026, 1, 15, 8, 30, 0, 123000, tzinfo=UTC)
    assert row.payload["stored"] == "2026-01-15T08:30:00.123Z"
    assert row.payload["timestamp"] == "2026-01-15T08:30:00.123Z"  # none sent: the stored time
    assert row.payload["context"]["contextActivities"]["parent"] == [
        {"id": "https://academy.test/courses/digital-literacy/module-1"}
    ]  # normalised to an array, as stored by the write path
    assert db.session.get(StatementId, loaded) is not None
    _columns, agents, activities = _rows(loaded)
    # The actor (direct and related), the instructor and the authority (related); the object
    # (direct and related), its parent and its category (related).
    assert len(agents) == 4 and len(activities) == 4


def test_bulk_statements_are_found_by_the_api_and_not_seen_by_projections(xapi: Xapi, app: Flask) -> None:
    seen: list[StoredBatch] = []
    projection = register_subscriber(app, seen.append)
    try:
        ids = [uuid.uuid4() for _ in range(3)]
        load_statements(
            [statement(id=str(i)) for i in ids], stored=datetime(2026, 2, 1, tzinfo=UTC), authority=AUTHORITY
        )
        db.session.flush()
        store_statements(statement(), version=XapiVersion.V1, authority=AUTHORITY)
    finally:
        app.extensions["lrs.projections"].remove(projection)
    assert len(seen) == 1 and len(seen[0].statements) == 1  # only the statement of the write path
    agent = json.dumps(statement()["actor"])
    response = xapi("GET", f"/xapi/statements?agent={agent}&until=2026-02-02T00:00:00Z")
    assert response.status_code == 200
    assert {s["id"] for s in response.get_json()["statements"]} == {str(i) for i in ids}
