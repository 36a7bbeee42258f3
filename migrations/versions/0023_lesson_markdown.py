"""Lessons keep the Markdown their authors wrote (their HTML body is made from it)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 15:00:00

Existing lessons have none: they stay HTML lessons, edited as HTML.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("markdown_th", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("markdown_en", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("lessons", schema=None) as batch_op:
        batch_op.drop_column("markdown_en")
        batch_op.drop_column("markdown_th")
