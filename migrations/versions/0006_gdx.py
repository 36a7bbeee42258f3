"""GDX consumers, tokens, outbox and delivery log (api/gdx)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gdx_consumers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gdx_consumers')),
    sa.UniqueConstraint('key', name=op.f('uq_gdx_consumers_key'))
    )
    op.create_table('gdx_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consumer_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consumer_id'], ['gdx_consumers.id'], name=op.f('fk_gdx_tokens_consumer_id_gdx_consumers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gdx_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_gdx_tokens_token_hash'))
    )
    with op.batch_alter_table('gdx_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gdx_tokens_consumer_id'), ['consumer_id'], unique=False)

    op.create_table('gdx_push_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('population', sa.String(length=20), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enqueued', sa.Integer(), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gdx_push_runs'))
    )
    with op.batch_alter_table('gdx_push_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gdx_push_runs_started_at'), ['started_at'], unique=False)

    op.create_table('gdx_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=36), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('agency_code', sa.String(length=20), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('population', sa.String(length=20), nullable=False),
    sa.Column('snapshot_date', sa.Date(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'delivered', 'failed', name='gdx_outbox_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['gdx_push_runs.id'], name=op.f('fk_gdx_outbox_run_id_gdx_push_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gdx_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_gdx_outbox_idempotency_key'))
    )
    with op.batch_alter_table('gdx_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gdx_outbox_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_gdx_outbox_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_gdx_outbox_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('gdx_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('delivered', 'retry', 'failed', 'unauthorised', name='gdx_delivery_outcome', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['gdx_outbox.id'], name=op.f('fk_gdx_deliveries_outbox_id_gdx_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gdx_deliveries'))
    )
    with op.batch_alter_table('gdx_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gdx_deliveries_outbox_id'), ['outbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gdx_deliveries_started_at'), ['started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('gdx_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gdx_deliveries_started_at'))
        batch_op.drop_index(batch_op.f('ix_gdx_deliveries_outbox_id'))

    op.drop_table('gdx_deliveries')
    with op.batch_alter_table('gdx_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_gdx_outbox_status_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_gdx_outbox_run_id'))
        batch_op.drop_index(batch_op.f('ix_gdx_outbox_agency_code'))

    op.drop_table('gdx_outbox')
    with op.batch_alter_table('gdx_push_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gdx_push_runs_started_at'))

    op.drop_table('gdx_push_runs')
    with op.batch_alter_table('gdx_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gdx_tokens_consumer_id'))

    op.drop_table('gdx_tokens')
    op.drop_table('gdx_consumers')
