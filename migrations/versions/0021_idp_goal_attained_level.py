"""Each IDP goal keeps the attained level it measures: HR counts goals met without a lookup per goal

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-06 15:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("idp_goals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attained_level", sa.Integer(), server_default="0", nullable=False))
    # Backfill from the attainment projection, set-based (goals without attainment keep 0).
    op.execute(
        """
        UPDATE idp_goals SET attained_level = attainments.level
        FROM idps, attainments
        WHERE idps.id = idp_goals.idp_id
          AND attainments.person_id = idps.person_id
          AND attainments.competency_id = idp_goals.competency_id
        """
    )


def downgrade():
    with op.batch_alter_table("idp_goals", schema=None) as batch_op:
        batch_op.drop_column("attained_level")
