"""Migrations of the LRS's tables that move data: run on an existing database, up and down."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask

from academy.db import db


def _insert(connection: sa.Connection, sql: str, key: str = "id", **values: object) -> int:
    return int(connection.execute(sa.text(f"{sql} RETURNING {key}"), values).scalar_one())


@pytest.mark.own_database
def test_agent_entries_gain_their_statements_verb_and_lose_it_on_the_way_down(fresh_app: Flask) -> None:
    with fresh_app.app_context():
        flask_migrate.upgrade(revision="0030")
        postgres = db.engine.dialect.name == "postgresql"
        # This month's partition and, on PostgreSQL, the DEFAULT one (no partition holds 2040).
        now, later = datetime.now(UTC), datetime(2040, 1, 15, tzinfo=UTC)
        with db.engine.begin() as connection:
            actor = _insert(connection, "INSERT INTO lrs_agents (agent_key) VALUES ('mbox:mailto:a@x.test')")
            other = _insert(connection, "INSERT INTO lrs_agents (agent_key) VALUES ('mbox:mailto:b@x.test')")
            verbs = [
                _insert(connection, "INSERT INTO lrs_verbs (verb_id) VALUES (:v)", v=f"https://x.test/verbs/{name}")
                for name in ("attempted", "completed")
            ]
            expected = set()
            for verb, stored in ((verbs[0], now), (verbs[1], now), (verbs[1], later), (verbs[0], later)):
                pk = _insert(
                    connection,
                    "INSERT INTO lrs_statements (id, payload, actor_ref, verb_ref, timestamp, stored, voided,"
                    " has_attachments) VALUES (:id, :payload, :actor, :verb, :stored, :stored, false, false)",
                    key="pk",
                    id=uuid.uuid4().hex,
                    payload=b"{}",
                    actor=actor,
                    verb=verb,
                    stored=stored,
                )
                for agent, direct in ((actor, True), (other, False)):
                    connection.execute(
                        sa.text(
                            "INSERT INTO lrs_statement_agents (agent_ref, direct, statement_pk, stored)"
                            " VALUES (:agent, :direct, :pk, :stored)"
                        ),
                        {"agent": agent, "direct": direct, "pk": pk, "stored": stored},
                    )
                    expected.add((agent, direct, pk, verb))

        flask_migrate.upgrade(revision="0031")

        with db.engine.connect() as connection:
            entries = connection.execute(
                sa.text("SELECT agent_ref, direct, statement_pk, verb_ref FROM lrs_statement_agents")
            ).all()
            assert {tuple(entry) for entry in entries} == expected
            if postgres:
                # Every partition's key is the lookup, with the verb included beside it.
                keys = connection.execute(
                    sa.text(
                        "SELECT c.relname, x.indnkeyatts, x.indnatts FROM pg_inherits i"
                        " JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_index x ON x.indrelid = c.oid"
                        " WHERE i.inhparent = 'lrs_statement_agents'::regclass AND x.indisprimary"
                    )
                ).all()
                partitions = connection.execute(
                    sa.text("SELECT count(*) FROM pg_inherits WHERE inhparent = 'lrs_statement_agents'::regclass")
                ).scalar_one()
                assert len(keys) == partitions and {(k, n) for _name, k, n in keys} == {(4, 5)}
                assert {name for name, _k, _n in keys} >= {"lrs_statement_agents_default"}

        flask_migrate.downgrade(revision="0030")

        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("lrs_statement_agents")}
        assert "verb_ref" not in columns
        with db.engine.connect() as connection:
            count = connection.execute(sa.text("SELECT count(*) FROM lrs_statement_agents")).scalar_one()
        assert count == len(expected)
