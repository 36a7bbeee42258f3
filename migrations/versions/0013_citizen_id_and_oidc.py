"""Citizen-ID hashes on people; OpenID Connect identities of users

Revision ID: 0013
Revises: 0018
Create Date: 2026-12-06 14:45:00

people.citizen_id_hash holds HMAC-SHA-256 of the citizen ID (academy/org/identity.py), unique
where set; the ID itself is never stored. oidc_identities links a provider's subject (its
keyed hash) to a user.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("citizen_id_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_people_citizen_id_hash", "people", ["citizen_id_hash"], unique=True)
    op.create_table(
        "oidc_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_oidc_identities_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_identities")),
        sa.UniqueConstraint("provider", "subject_hash", name=op.f("uq_oidc_identities_provider_subject_hash")),
        sa.UniqueConstraint("user_id", "provider", name=op.f("uq_oidc_identities_user_id_provider")),
    )
    op.create_index(op.f("ix_oidc_identities_user_id"), "oidc_identities", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_identities_user_id"), table_name="oidc_identities")
    op.drop_table("oidc_identities")
    op.drop_index("ix_people_citizen_id_hash", table_name="people")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("citizen_id_hash")
