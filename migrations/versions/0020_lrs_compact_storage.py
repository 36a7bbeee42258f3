"""LRS storage in half the bytes: statements refer to agents, verbs and activities by integer ids,
index tables keyed by (id, direct, statement) without a surrogate key, payloads deflated

Revision ID: 0020
Revises: 0023
Create Date: 2026-12-06 15:00:00

The data is converted: agent keys and verb IRIs go into lrs_agents and lrs_verbs, every
statement is copied into the new lrs_statements with its payload packed (lrs.payloads), and
the index rows are copied with their strings replaced by ids. The downgrade converts back.
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from lrs.payloads import pack_payload, unpack_payload

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0023"
branch_labels = None
depends_on = None

BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(astext_type=sa.Text()), "postgresql")
#: Statements copied per round trip.
BATCH = 2000

OLD_STATEMENT_INDEXES = [
    "ix_lrs_statements_actor_verb",
    "ix_lrs_statements_client_id",
    "ix_lrs_statements_object_activity",
    "ix_lrs_statements_object_statement_id",
    "ix_lrs_statements_registration",
    "ix_lrs_statements_stored",
    "ix_lrs_statements_verb",
]
INDEX_TABLES = {
    "lrs_statement_agents": ("agent_key", "agent_ref"),
    "lrs_statement_activities": ("activity_id", "activity_ref"),
}


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _set_aside(tables: list[str], constraints: dict[str, list[str]], indexes: dict[str, list[str]]) -> None:
    """Rename tables to *_old, dropping their secondary indexes; on PostgreSQL also rename their
    constraints and sequences, whose names are global, so the new tables can take them."""
    for table, names in indexes.items():
        for name in names:
            op.drop_index(name, table_name=table)
    for table in tables:
        if _is_postgres():
            for name in constraints.get(table, []):
                op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {name} TO {name}_old")
        op.rename_table(table, f"{table}_old")


def _create_new_tables() -> None:
    op.create_table(
        "lrs_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_key", sa.String(length=600), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lrs_agents")),
        sa.UniqueConstraint("agent_key", name=op.f("uq_lrs_agents_agent_key")),
    )
    op.create_table(
        "lrs_verbs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verb_id", sa.String(length=2048), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lrs_verbs")),
        sa.UniqueConstraint("verb_id", name=op.f("uq_lrs_verbs_verb_id")),
    )


def _create_statements(new: bool) -> None:
    if new:
        columns = [
            sa.Column("payload", sa.LargeBinary(), nullable=False),
            sa.Column("actor_ref", sa.Integer(), nullable=True),
            sa.Column("verb_ref", sa.Integer(), nullable=False),
            sa.Column("object_activity_ref", sa.Integer(), nullable=True),
        ]
    else:
        columns = [
            sa.Column("payload", Json, nullable=False),
            sa.Column("actor_key", sa.String(length=600), nullable=True),
            sa.Column("verb_id", sa.String(length=2048), nullable=False),
            sa.Column("object_activity_id", sa.String(length=2048), nullable=True),
        ]
    op.create_table(
        "lrs_statements",
        sa.Column("pk", BigKey, autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        *columns,
        sa.Column("object_statement_id", sa.Uuid(), nullable=True),
        sa.Column("registration", sa.Uuid(), nullable=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("has_attachments", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["lrs_clients.id"], name=op.f("fk_lrs_statements_client_id_lrs_clients"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_lrs_statements")),
        sa.UniqueConstraint("id", name=op.f("uq_lrs_statements_id")),
    )


def _statement_indexes(new: bool) -> None:
    actor, verb, activity = (
        ("actor_ref", "verb_ref", "object_activity_ref") if new else ("actor_key", "verb_id", "object_activity_id")
    )
    with op.batch_alter_table("lrs_statements", schema=None) as batch_op:
        batch_op.create_index("ix_lrs_statements_actor_verb", [actor, verb, "pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_lrs_statements_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_lrs_statements_object_activity", [activity, "pk"], unique=False)
        batch_op.create_index("ix_lrs_statements_registration", ["registration", "pk"], unique=False)
        batch_op.create_index("ix_lrs_statements_stored", ["stored"], unique=False)
        batch_op.create_index("ix_lrs_statements_verb", [verb, "pk"], unique=False)
        if new:
            batch_op.create_index(
                "ix_lrs_statements_object_statement_id",
                ["object_statement_id"],
                unique=False,
                postgresql_where=sa.text("object_statement_id IS NOT NULL"),
                sqlite_where=sa.text("object_statement_id IS NOT NULL"),
            )
        else:
            batch_op.create_index(
                batch_op.f("ix_lrs_statements_object_statement_id"), ["object_statement_id"], unique=False
            )


def _copy_statements(new: bool) -> None:
    """Copy lrs_statements_old into lrs_statements, batch by batch, converting payloads and references."""
    connection = op.get_bind()
    common = (
        "s.pk, s.id, s.payload, s.object_statement_id, s.registration, s.timestamp, s.stored, s.voided,"
        " s.client_id, s.has_attachments"
    )
    if new:
        read = (
            f"SELECT {common}, a.id AS actor, v.id AS verb, t.id AS activity FROM lrs_statements_old s"
            " LEFT JOIN lrs_agents a ON a.agent_key = s.actor_key"
            " JOIN lrs_verbs v ON v.verb_id = s.verb_id"
            " LEFT JOIN lrs_activities t ON t.activity_id = s.object_activity_id"
        )
        names = ("actor_ref", "verb_ref", "object_activity_ref")
    else:
        read = (
            f"SELECT {common}, a.agent_key AS actor, v.verb_id AS verb, t.activity_id AS activity"
            " FROM lrs_statements_old s"
            " LEFT JOIN lrs_agents a ON a.id = s.actor_ref"
            " JOIN lrs_verbs v ON v.id = s.verb_ref"
            " LEFT JOIN lrs_activities t ON t.id = s.object_activity_ref"
        )
        names = ("actor_key", "verb_id", "object_activity_id")
    payload_type = sa.LargeBinary() if new else Json
    target = sa.table(
        "lrs_statements",
        *[sa.column(name) for name in ("pk", "id", "object_statement_id", "registration", "timestamp", "stored")],
        *[sa.column(name) for name in ("voided", "client_id", "has_attachments", *names)],
        sa.column("payload", payload_type),
    )
    query = sa.text(f"{read} WHERE s.pk > :after ORDER BY s.pk LIMIT {BATCH}")
    after = 0
    while True:
        rows = connection.execute(query, {"after": after}).mappings().all()
        if not rows:
            break
        out: list[dict[str, Any]] = []
        for row in rows:
            payload = row["payload"]
            if new:
                statement = json.loads(payload) if isinstance(payload, str | bytes) else payload
                packed: Any = pack_payload(statement)
            else:
                packed = unpack_payload(payload)
            out.append(
                {
                    **{key: row[key] for key in ("pk", "id", "object_statement_id", "registration", "timestamp")},
                    **{key: row[key] for key in ("stored", "voided", "client_id", "has_attachments")},
                    names[0]: row["actor"],
                    names[1]: row["verb"],
                    names[2]: row["activity"],
                    "payload": packed,
                }
            )
        connection.execute(target.insert(), out)
        after = rows[-1]["pk"]
    if _is_postgres():
        op.execute(
            "SELECT setval(pg_get_serial_sequence('lrs_statements', 'pk'),"
            " coalesce((SELECT max(pk) FROM lrs_statements), 0) + 1, false)"
        )


def upgrade():
    _set_aside(
        ["lrs_statements", "lrs_statement_agents", "lrs_statement_activities"],
        {
            "lrs_statements": ["pk_lrs_statements", "uq_lrs_statements_id"],
            "lrs_statement_agents": ["pk_lrs_statement_agents"],
            "lrs_statement_activities": ["pk_lrs_statement_activities"],
        },
        {
            "lrs_statements": OLD_STATEMENT_INDEXES,
            "lrs_statement_agents": ["ix_lrs_statement_agents_lookup", "ix_lrs_statement_agents_statement_pk"],
            "lrs_statement_activities": [
                "ix_lrs_statement_activities_lookup",
                "ix_lrs_statement_activities_statement_pk",
            ],
        },
    )
    if _is_postgres():
        op.execute("ALTER SEQUENCE lrs_statements_pk_seq RENAME TO lrs_statements_old_pk_seq")
    _create_new_tables()
    op.execute(
        "INSERT INTO lrs_agents (agent_key) SELECT agent_key FROM lrs_statement_agents_old"
        " UNION SELECT actor_key FROM lrs_statements_old WHERE actor_key IS NOT NULL ORDER BY 1"
    )
    op.execute("INSERT INTO lrs_verbs (verb_id) SELECT DISTINCT verb_id FROM lrs_statements_old ORDER BY 1")
    # Every activity a statement mentions is in lrs_activities already; this only makes sure.
    op.execute(
        "INSERT INTO lrs_activities (activity_id) SELECT DISTINCT i.activity_id FROM lrs_statement_activities_old i"
        " WHERE NOT EXISTS (SELECT 1 FROM lrs_activities a WHERE a.activity_id = i.activity_id)"
    )
    _create_statements(new=True)
    _copy_statements(new=True)
    for table, (old_column, new_column) in INDEX_TABLES.items():
        op.create_table(
            table,
            sa.Column(new_column, sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("direct", sa.Boolean(), nullable=False),
            sa.Column("statement_pk", BigKey, autoincrement=False, nullable=False),
            sa.PrimaryKeyConstraint(new_column, "direct", "statement_pk", name=op.f(f"pk_{table}")),
        )
        source = "lrs_agents" if new_column == "agent_ref" else "lrs_activities"
        op.execute(
            f"INSERT INTO {table} ({new_column}, direct, statement_pk)"
            f" SELECT DISTINCT r.id, i.direct, i.statement_pk FROM {table}_old i"
            f" JOIN {source} r ON r.{old_column} = i.{old_column}"
        )
    for table in ("lrs_statement_agents", "lrs_statement_activities", "lrs_statements"):
        op.drop_table(f"{table}_old")
    _statement_indexes(new=True)
    if _is_postgres():
        op.execute("ALTER TABLE lrs_statements ALTER COLUMN payload SET STORAGE EXTERNAL")


def downgrade():
    _set_aside(
        ["lrs_statements", "lrs_statement_agents", "lrs_statement_activities"],
        {
            "lrs_statements": ["pk_lrs_statements", "uq_lrs_statements_id"],
            "lrs_statement_agents": ["pk_lrs_statement_agents"],
            "lrs_statement_activities": ["pk_lrs_statement_activities"],
        },
        {"lrs_statements": OLD_STATEMENT_INDEXES},
    )
    if _is_postgres():
        op.execute("ALTER SEQUENCE lrs_statements_pk_seq RENAME TO lrs_statements_old_pk_seq")
    _create_statements(new=False)
    _copy_statements(new=False)
    for table, (old_column, new_column) in INDEX_TABLES.items():
        op.create_table(
            table,
            sa.Column("id", BigKey, autoincrement=True, nullable=False),
            sa.Column("statement_pk", BigKey, nullable=False),
            sa.Column(old_column, sa.String(length=600 if old_column == "agent_key" else 2048), nullable=False),
            sa.Column("direct", sa.Boolean(), nullable=False),
            sa.ForeignKeyConstraint(
                ["statement_pk"],
                ["lrs_statements.pk"],
                name=op.f(f"fk_{table}_statement_pk_lrs_statements"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        source = "lrs_agents" if new_column == "agent_ref" else "lrs_activities"
        op.execute(
            f"INSERT INTO {table} (statement_pk, {old_column}, direct)"
            f" SELECT i.statement_pk, r.{old_column}, i.direct FROM {table}_old i"
            f" JOIN {source} r ON r.id = i.{new_column} ORDER BY i.statement_pk"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_lookup", [old_column, "direct", "statement_pk"], unique=False)
            batch_op.create_index(batch_op.f(f"ix_{table}_statement_pk"), ["statement_pk"], unique=False)
    for table in ("lrs_statement_agents", "lrs_statement_activities", "lrs_statements"):
        op.drop_table(f"{table}_old")
    _statement_indexes(new=False)
    op.drop_table("lrs_verbs")
    op.drop_table("lrs_agents")
