"""The credentials projection's queue: people whose credentials a worker is to bring in step

Revision ID: 0027
Revises: 0025
Create Date: 2026-12-06 18:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "credential_queue",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_credential_queue_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_credential_queue")),
    )


def downgrade():
    op.drop_table("credential_queue")
