"""LRS statements and their index tables partitioned by month of stored (PostgreSQL);
statement ids unique through lrs_statement_ids

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 15:20:00

A partitioned table's unique index must include the partition key, so the uniqueness of
statement ids moves to lrs_statement_ids (on every database, the same model); lrs_statements
keeps a plain index on id for the lookups. On PostgreSQL the three tables become partitioned
by RANGE (stored), with monthly partitions from the oldest statement's month to three months
ahead and a DEFAULT partition (lrs.partitions); the index tables gain ``stored``. The data is
copied over; the downgrade copies it back into plain tables.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ("lrs_statements", "lrs_statement_agents", "lrs_statement_activities")
REFS = {"lrs_statement_agents": "agent_ref", "lrs_statement_activities": "activity_ref"}
STATEMENT_COLUMNS = (
    "pk, id, payload, actor_ref, verb_ref, object_activity_ref, object_statement_id, registration, timestamp,"
    " stored, voided, client_id, has_attachments"
)
AHEAD = 3


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _drop_statement_indexes() -> None:
    for name in (
        "ix_lrs_statements_actor_verb",
        "ix_lrs_statements_client_id",
        "ix_lrs_statements_object_activity",
        "ix_lrs_statements_object_statement_id",
        "ix_lrs_statements_registration",
        "ix_lrs_statements_stored",
        "ix_lrs_statements_verb",
    ):
        op.drop_index(name, table_name="lrs_statements")


def _create_statement_indexes() -> None:
    op.create_index("ix_lrs_statements_actor_verb", "lrs_statements", ["actor_ref", "verb_ref", "pk"])
    op.create_index("ix_lrs_statements_client_id", "lrs_statements", ["client_id"])
    op.create_index("ix_lrs_statements_object_activity", "lrs_statements", ["object_activity_ref", "pk"])
    op.create_index("ix_lrs_statements_registration", "lrs_statements", ["registration", "pk"])
    op.create_index("ix_lrs_statements_stored", "lrs_statements", ["stored"])
    op.create_index("ix_lrs_statements_verb", "lrs_statements", ["verb_ref", "pk"])
    op.create_index(
        "ix_lrs_statements_object_statement_id",
        "lrs_statements",
        ["object_statement_id"],
        postgresql_where=sa.text("object_statement_id IS NOT NULL"),
        sqlite_where=sa.text("object_statement_id IS NOT NULL"),
    )


def _set_aside(constraints: dict[str, list[str]]) -> None:
    """Rename the three tables to *_old; on PostgreSQL their index-backed constraints too (global names)."""
    for table in TABLES:
        if _is_postgres():
            for name in constraints.get(table, []):
                op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {name} TO {name}_old")
        op.rename_table(table, f"{table}_old")
    if _is_postgres():
        # The sequence of pk outlives the old table: the new one takes it over.
        op.execute("ALTER SEQUENCE lrs_statements_pk_seq OWNED BY NONE")


def _create_tables(partitioned: bool) -> None:
    postgres = _is_postgres()
    by_month = {"postgresql_partition_by": "RANGE (stored)"} if partitioned and postgres else {}
    pk_default = {"server_default": sa.text("nextval('lrs_statements_pk_seq')")} if postgres else {}
    op.create_table(
        "lrs_statements",
        sa.Column("pk", BigKey, autoincrement=not postgres, nullable=False, **pk_default),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("actor_ref", sa.Integer(), nullable=True),
        sa.Column("verb_ref", sa.Integer(), nullable=False),
        sa.Column("object_activity_ref", sa.Integer(), nullable=True),
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
        # A partitioned table's keys include the partition key.
        sa.PrimaryKeyConstraint(*(["pk", "stored"] if by_month else ["pk"]), name=op.f("pk_lrs_statements")),
        *([] if partitioned else [sa.UniqueConstraint("id", name=op.f("uq_lrs_statements_id"))]),
        **by_month,
    )
    if postgres:
        op.execute("ALTER SEQUENCE lrs_statements_pk_seq OWNED BY lrs_statements.pk")
    for table, ref in REFS.items():
        op.create_table(
            table,
            sa.Column(ref, sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("direct", sa.Boolean(), nullable=False),
            sa.Column("statement_pk", BigKey, autoincrement=False, nullable=False),
            *([sa.Column("stored", sa.DateTime(timezone=True), nullable=False)] if partitioned else []),
            sa.PrimaryKeyConstraint(
                ref, "direct", "statement_pk", *(["stored"] if partitioned else []), name=op.f(f"pk_{table}")
            ),
            **by_month,
        )


def _months(first: datetime, last: datetime) -> list[tuple[datetime, datetime]]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        start = datetime(year, month, 1, tzinfo=UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        months.append((start, datetime(year, month, 1, tzinfo=UTC)))
    return months


def _create_partitions() -> None:
    oldest = op.get_bind().scalar(sa.text("SELECT min(stored) FROM lrs_statements_old"))
    now = datetime.now(UTC)
    ahead = datetime(now.year + (now.month + AHEAD - 1) // 12, (now.month + AHEAD - 1) % 12 + 1, 1, tzinfo=UTC)
    for table in TABLES:
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
        for start, end in _months((oldest or now).astimezone(UTC), ahead):
            op.execute(
                f"CREATE TABLE {table}_p{start:%Y_%m} PARTITION OF {table}"
                f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )


def _copy(partitioned: bool) -> None:
    op.execute(f"INSERT INTO lrs_statements ({STATEMENT_COLUMNS}) SELECT {STATEMENT_COLUMNS} FROM lrs_statements_old")
    for table, ref in REFS.items():
        if partitioned:
            op.execute(
                f"INSERT INTO {table} ({ref}, direct, statement_pk, stored)"
                f" SELECT i.{ref}, i.direct, i.statement_pk, s.stored FROM {table}_old i"
                " JOIN lrs_statements_old s ON s.pk = i.statement_pk"
            )
        else:
            op.execute(
                f"INSERT INTO {table} ({ref}, direct, statement_pk) SELECT {ref}, direct, statement_pk FROM {table}_old"
            )
    for table in TABLES:
        op.drop_table(f"{table}_old")


def upgrade():
    op.create_table(
        "lrs_statement_ids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lrs_statement_ids")),
    )
    op.execute("INSERT INTO lrs_statement_ids (id) SELECT id FROM lrs_statements")
    _drop_statement_indexes()
    _set_aside(
        {
            "lrs_statements": ["pk_lrs_statements", "uq_lrs_statements_id"],
            "lrs_statement_agents": ["pk_lrs_statement_agents"],
            "lrs_statement_activities": ["pk_lrs_statement_activities"],
        }
    )
    _create_tables(partitioned=True)
    if _is_postgres():
        _create_partitions()
    _copy(partitioned=True)
    _create_statement_indexes()
    op.create_index("ix_lrs_statements_id", "lrs_statements", ["id"])


def downgrade():
    op.drop_index("ix_lrs_statements_id", table_name="lrs_statements")
    _drop_statement_indexes()
    _set_aside(
        {
            "lrs_statements": ["pk_lrs_statements"],
            "lrs_statement_agents": ["pk_lrs_statement_agents"],
            "lrs_statement_activities": ["pk_lrs_statement_activities"],
        }
    )
    _create_tables(partitioned=False)
    _copy(partitioned=False)
    _create_statement_indexes()
    op.drop_table("lrs_statement_ids")
