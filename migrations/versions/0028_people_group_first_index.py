"""People indexed by group first: a population's coverage of every agency reads that group's entries only

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-06 18:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    # Coverage of every agency counts one group's active people per agency (the IT group, the
    # plan's target, by default): with the group leading, that is one range of the index, read
    # without the table, instead of every person's entry of the agency-first index.
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(
            "ix_people_group_status_agency", ["personnel_group", "status", "agency_id", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_group_status_agency")
