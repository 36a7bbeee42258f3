"""Kept builds of the GDX feed of every agency: every page of one read comes from one build

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 21:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gdx_feed_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("population", sa.String(length=20), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("framework_version", sa.String(length=20), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["frameworks.id"],
            name=op.f("fk_gdx_feed_snapshots_framework_id_frameworks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gdx_feed_snapshots")),
    )
    with op.batch_alter_table("gdx_feed_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gdx_feed_snapshots_key", ["fiscal_year", "population", "framework_id", "built_at"], unique=False
        )
    op.create_table(
        "gdx_feed_records",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("agency_code", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["gdx_feed_snapshots.id"],
            name=op.f("fk_gdx_feed_records_snapshot_id_gdx_feed_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "position", name=op.f("pk_gdx_feed_records")),
    )


def downgrade():
    op.drop_table("gdx_feed_records")
    with op.batch_alter_table("gdx_feed_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_gdx_feed_snapshots_key")
    op.drop_table("gdx_feed_snapshots")
