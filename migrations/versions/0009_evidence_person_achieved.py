"""Evidence by person and date, for each person's first training evidence of a year

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 08:15:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(
            'ix_evidence_person_achieved',
            ['person_id', 'achieved_at'],
            unique=False,
            postgresql_include=['source', 'withdrawn_at'],
        )


def downgrade():
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_person_achieved')
