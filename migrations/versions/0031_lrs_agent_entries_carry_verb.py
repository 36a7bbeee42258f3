"""The agent index carries each statement's verb: a page of agent+verb looks up only the verb's statements

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 07:00:00

lrs_statement_agents gains ``verb_ref``, its statement's verb; on PostgreSQL the primary key
includes it (INCLUDE, not a key column: the entries stay in statement order for the agent
filter alone). A query of agent and verb walked the agent's entries and looked every statement
up to test its verb (about one in eight matched in the benchmark's mix); now the index-only
scan tests the verb in the entry itself.

On PostgreSQL each monthly partition is written anew, filled from its month's statements, and
swapped in: an UPDATE of every entry would leave the old row versions behind, twice the table.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

TABLE = "lrs_statement_agents"
KEY = "agent_ref, direct, statement_pk, stored"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table(TABLE) as batch:
            batch.add_column(sa.Column("verb_ref", sa.Integer(), nullable=True))
        op.execute(
            f"UPDATE {TABLE} SET verb_ref ="
            f" (SELECT s.verb_ref FROM lrs_statements s WHERE s.pk = {TABLE}.statement_pk)"
        )
        with op.batch_alter_table(TABLE) as batch:
            batch.alter_column("verb_ref", existing_type=sa.Integer(), nullable=False)
        return
    op.execute(f"ALTER TABLE {TABLE} ADD COLUMN verb_ref integer")
    op.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT pk_{TABLE}")
    partitions = op.get_bind().execute(
        sa.text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:table AS regclass) ORDER BY c.relname"
        ),
        {"table": TABLE},
    ).all()
    for name, bound in partitions:
        # The statements of the same month: lrs_statements_p2026_12 beside lrs_statement_agents_p2026_12.
        statements = "lrs_statements" + name.removeprefix(TABLE)
        op.execute(f"CREATE TABLE {name}_filled (LIKE {TABLE})")
        filled = op.get_bind().execute(
            sa.text(
                f"INSERT INTO {name}_filled ({KEY}, verb_ref)"
                f" SELECT a.agent_ref, a.direct, a.statement_pk, a.stored, s.verb_ref"
                f" FROM {name} a JOIN {statements} s ON s.pk = a.statement_pk"
            )
        ).rowcount
        entries = op.get_bind().scalar(sa.text(f"SELECT count(*) FROM {name}"))
        if filled != entries:
            raise RuntimeError(f"{name}: {entries - filled} of {entries} entries name no statement of {statements}")
        op.execute(f"ALTER TABLE {name}_filled ALTER COLUMN verb_ref SET NOT NULL")
        op.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
        op.execute(f"DROP TABLE {name}")
        op.execute(f"ALTER TABLE {name}_filled RENAME TO {name}")
        op.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} {bound}")
    op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN verb_ref SET NOT NULL")
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY ({KEY}) INCLUDE (verb_ref)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table(TABLE) as batch:
            batch.drop_column("verb_ref")
        return
    op.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT pk_{TABLE}")
    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN verb_ref")
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY ({KEY})")
