"""Unvoided statements indexed by (stored, pk): a query by time alone reads its page from its bound

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 03:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    # since/until without other filters is ordered by (stored, pk) and walks this index from its
    # bound (lrs.statements.retrieving, StatementQuery.by_stored). Ordered by pk, it walked the month's
    # pk index past every statement stored after `until`. Voided statements are never in a page:
    # the index leaves them out. It replaces the index of stored alone, which only this query used.
    # On PostgreSQL both are indexes of the partitioned table: every month's partition follows.
    op.drop_index("ix_lrs_statements_stored", table_name="lrs_statements")
    op.create_index(
        "ix_lrs_statements_stored_pk",
        "lrs_statements",
        ["stored", "pk"],
        unique=False,
        postgresql_where=sa.text("voided IS false"),
        sqlite_where=sa.text("voided IS 0"),
    )


def downgrade():
    op.drop_index("ix_lrs_statements_stored_pk", table_name="lrs_statements")
    op.create_index("ix_lrs_statements_stored", "lrs_statements", ["stored"], unique=False)
