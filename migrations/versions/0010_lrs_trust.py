"""The trust model of the LRS: admin and platform clients, refused voids, ignored statements,
alignment owners

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:00:00

Existing alignments: those of the platform's own courses stay the platform's (owner NULL).
Every other alignment is granted to the one client that has stored statements about its
activity, when exactly one has: that keeps the evidence that client's statements gave
(before this change every client's statements counted) and a rebuild finds it again. An
alignment that several clients, or none, have written about is granted to nobody: an admin
decides (README, Trust model). The cmi5 LMS client is the platform's.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, never a batch copy of lrs_clients: on SQLite, dropping the old copy would
    # fire ON DELETE SET NULL on lrs_statements.client_id and forget who stored every statement.
    op.add_column('lrs_clients', sa.Column('admin', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('lrs_clients', sa.Column('platform', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('lrs_clients', sa.Column('refused_voids', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE lrs_clients SET platform = true WHERE key = 'cmi5-lms'")
    op.create_table('lrs_ignored_statements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('statement_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['lrs_clients.id'], name=op.f('fk_lrs_ignored_statements_client_id_lrs_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lrs_ignored_statements')),
    sa.UniqueConstraint('statement_id', 'reason', name=op.f('uq_lrs_ignored_statements_statement_id_reason'))
    )
    with op.batch_alter_table('lrs_ignored_statements', schema=None) as batch_op:
        batch_op.create_index('ix_lrs_ignored_statements_client', ['client_id', 'reason'], unique=False)
    with op.batch_alter_table('alignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_client_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_alignments_owner_client_id'), ['owner_client_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_alignments_owner_client_id_lrs_clients'), 'lrs_clients', ['owner_client_id'], ['id'],
            ondelete='SET NULL',
        )
    # One walk of the object-activity index per aligned activity that is not one of our courses.
    op.execute(
        """
        UPDATE alignments SET owner_client_id = (
            SELECT MIN(s.client_id) FROM lrs_statements s
            WHERE s.object_activity_id = alignments.activity_id AND s.client_id IS NOT NULL
        )
        WHERE activity_id NOT IN (SELECT activity_iri FROM courses)
          AND (
            SELECT COUNT(DISTINCT s.client_id) FROM lrs_statements s
            WHERE s.object_activity_id = alignments.activity_id AND s.client_id IS NOT NULL
          ) = 1
        """
    )


def downgrade():
    with op.batch_alter_table('alignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_alignments_owner_client_id_lrs_clients'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_alignments_owner_client_id'))
        batch_op.drop_column('owner_client_id')
    with op.batch_alter_table('lrs_ignored_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_lrs_ignored_statements_client')
    op.drop_table('lrs_ignored_statements')
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy: see upgrade().
    op.drop_column('lrs_clients', 'refused_voids')
    op.drop_column('lrs_clients', 'platform')
    op.drop_column('lrs_clients', 'admin')
