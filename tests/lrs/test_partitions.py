"""Monthly partitions of the statements (PostgreSQL): created ahead, strays moved, months detached,
time-filtered queries pruned to their months; statement ids unique across partitions."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text

from academy.db import db
from lrs.models import Statement
from lrs.partitions import Month, create_month, detach_month, ensure_partitions, is_partitioned, partitions
from tests.support.lrs import Xapi, statement


@pytest.fixture
def postgres() -> None:
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("only PostgreSQL partitions the statements")


def test_sqlite_has_no_partitions() -> None:
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert not is_partitioned() and ensure_partitions(3) == [] and partitions() == []


def test_months_count_on_across_years() -> None:
    assert Month(2026, 11).plus(3) == Month(2027, 2) and Month(2027, 1).plus(-1) == Month(2026, 12)
    assert Month.parse("2027-03").partition("lrs_statements") == "lrs_statements_p2027_03"
    with pytest.raises(ValueError):
        Month.parse("2027-13")


@pytest.mark.usefixtures("postgres")
def test_partitions_are_created_ahead_once() -> None:
    created = ensure_partitions(3, today=date(2031, 11, 20))
    months = ["2031_11", "2031_12", "2032_01", "2032_02"]
    tables = ["lrs_statements", "lrs_statement_agents", "lrs_statement_activities"]
    assert sorted(created) == sorted(f"{t}_p{m}" for t in tables for m in months)
    assert ensure_partitions(3, today=date(2031, 11, 20)) == []
    bounds = {name: bound for name, bound, _rows in partitions()}
    assert "2031-12-01" in bounds["lrs_statements_p2031_12"] and "2032-01-01" in bounds["lrs_statements_p2031_12"]


def _partition_of(statement_id: str) -> str:
    return str(
        db.session.scalar(
            text("SELECT tableoid::regclass::text FROM lrs_statements WHERE id = :id"), {"id": uuid.UUID(statement_id)}
        )
    )


@pytest.mark.usefixtures("postgres")
def test_a_month_nobody_created_lands_in_the_default_partition_and_moves_out(xapi: Xapi) -> None:
    [statement_id] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    assert _partition_of(statement_id) == Month.of(datetime.now(UTC)).partition("lrs_statements")
    moment = datetime(2033, 6, 15, tzinfo=UTC)
    pk = db.session.scalar(select(Statement.pk).where(Statement.id == uuid.UUID(statement_id)))
    for table in ("lrs_statements", "lrs_statement_agents", "lrs_statement_activities"):
        column = "pk" if table == "lrs_statements" else "statement_pk"
        db.session.execute(
            text(f"UPDATE {table} SET stored = :moment WHERE {column} = :pk"), {"moment": moment, "pk": pk}
        )
    assert _partition_of(statement_id) == "lrs_statements_default"

    assert len(create_month(Month(2033, 6))) == 3
    assert _partition_of(statement_id) == "lrs_statements_p2033_06"
    for table in ("lrs_statement_agents", "lrs_statement_activities"):
        assert db.session.scalar(text(f"SELECT count(*) FROM {table}_p2033_06")) > 0
        assert db.session.scalar(text(f"SELECT count(*) FROM {table}_default")) == 0
    # Still found by the LRS, by id and by agent.
    assert xapi("GET", f"/xapi/statements?statementId={statement_id}").status_code == 200
    agent = json.dumps(statement()["actor"])
    found = xapi("GET", "/xapi/statements", query_string={"agent": agent}).get_json()["statements"]
    assert statement_id in [s["id"] for s in found]


@pytest.mark.usefixtures("postgres")
def test_a_detached_month_leaves_the_lrs_and_its_ids_stay_taken(xapi: Xapi) -> None:
    [statement_id] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    this_month = Month.of(datetime.now(UTC))
    assert detach_month(this_month) == [
        this_month.partition(t) for t in ("lrs_statements", "lrs_statement_agents", "lrs_statement_activities")
    ]
    assert this_month.partition("lrs_statements") not in {name for name, _b, _r in partitions()}
    assert xapi("GET", f"/xapi/statements?statementId={statement_id}").status_code == 404
    archived = db.session.scalar(text(f"SELECT count(*) FROM {this_month.partition('lrs_statements')}"))
    assert archived == 1


@pytest.fixture
def captured() -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs on lrs_statements the application sends, with their parameters."""
    queries: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, _many: bool) -> None:
        if sql.lstrip().upper().startswith("SELECT") and "lrs_statements" in sql:
            queries.append((sql, parameters))

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    yield queries
    event.remove(engine, "before_cursor_execute", capture)


@pytest.mark.usefixtures("postgres")
def test_queries_by_time_touch_only_their_months(xapi: Xapi, captured: list[tuple[str, Any]]) -> None:
    ensure_partitions(3)
    [statement_id] = xapi("POST", "/xapi/statements", json_body=statement()).get_json()
    stored = db.session.scalar(select(Statement.stored).where(Statement.id == uuid.UUID(statement_id)))
    assert stored is not None
    window = {
        "since": (stored - timedelta(seconds=1)).isoformat(),
        "until": (stored + timedelta(seconds=1)).isoformat(),
    }
    captured.clear()
    for extra in ({}, {"agent": json.dumps(statement()["actor"])}, {"activity": statement()["object"]["id"]}):
        response = xapi("GET", "/xapi/statements", query_string={**window, **extra})
        assert [s["id"] for s in response.get_json()["statements"]] == [statement_id]
    assert captured
    this_month = Month.of(stored).partition("")  # _p2026_12
    connection = db.session.connection()
    # The pages; the second query of a filtered GET looks for statements that refer (StatementRef)
    # to matching ones, which may be stored in any month.
    pages = [(sql, parameters) for sql, parameters in captured if "object_statement_id" not in sql]
    assert len(pages) == 3
    for sql, parameters in pages:
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, parameters))
        touched = set(PARTITION.findall(plan))
        assert touched, plan
        assert {name[name.rindex("_p") :] if "_p2" in name else "default" for name in touched} == {this_month}, plan
    # The agent and activity filters read their index tables' partitions of the month too.
    assert any("lrs_statement_agents" + this_month in plan for plan in _plans(pages))
    assert any("lrs_statement_activities" + this_month in plan for plan in _plans(pages))


PARTITION = re.compile(r"\b(lrs_statement(?:s|_agents|_activities)_(?:p\d{4}_\d{2}|default))\b")


def _plans(captured: list[tuple[str, Any]]) -> list[str]:
    connection = db.session.connection()
    return [
        "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, parameters))
        for sql, parameters in captured
    ]
