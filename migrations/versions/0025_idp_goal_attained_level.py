"""Each IDP goal keeps the attained level it measures: HR counts goals met without a lookup per goal

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 15:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
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
    with op.batch_alter_table("idps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("goal_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("goals_met", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        """
        UPDATE idps SET
          goal_count = (SELECT count(*) FROM idp_goals g WHERE g.idp_id = idps.id),
          goals_met = (SELECT count(*) FROM idp_goals g WHERE g.idp_id = idps.id
                       AND (g.result = 'met' OR (g.result IS NULL AND g.attained_level >= g.target_level)))
        WHERE EXISTS (SELECT 1 FROM idp_goals g WHERE g.idp_id = idps.id)
        """
    )
    # After the backfill (which then writes no index): indexes from which HR's figures read the plans'
    # goals and the agencies' people without reading the tables; each replaces one with the same
    # leading columns.
    with op.batch_alter_table("idps", schema=None) as batch_op:
        batch_op.drop_index("ix_idps_fiscal_year_state")
        batch_op.create_index(
            "ix_idps_fiscal_year_state_person", ["fiscal_year", "state", "person_id", "id"], unique=False
        )
    with op.batch_alter_table("idp_goals", schema=None) as batch_op:
        batch_op.drop_index("ix_idp_goals_idp_id")
        batch_op.create_index(
            "ix_idp_goals_idp_id_levels",
            ["idp_id", "competency_id", "target_level", "attained_level", "result"],
            unique=False,
        )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_agency_id_status")
        batch_op.create_index(
            "ix_people_agency_status_group", ["agency_id", "status", "personnel_group", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_agency_status_group")
        batch_op.create_index("ix_people_agency_id_status", ["agency_id", "status"], unique=False)
    with op.batch_alter_table("idp_goals", schema=None) as batch_op:
        batch_op.drop_index("ix_idp_goals_idp_id_levels")
        batch_op.create_index("ix_idp_goals_idp_id", ["idp_id"], unique=False)
        batch_op.drop_column("attained_level")
    with op.batch_alter_table("idps", schema=None) as batch_op:
        batch_op.drop_column("goals_met")
        batch_op.drop_column("goal_count")
        batch_op.drop_index("ix_idps_fiscal_year_state_person")
        batch_op.create_index("ix_idps_fiscal_year_state", ["fiscal_year", "state"], unique=False)
