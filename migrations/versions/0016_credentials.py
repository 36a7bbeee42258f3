"""Verifiable credentials: issuer keys, issued credentials (append-only), revocations

Revision ID: 0016
Revises: 0017
Create Date: 2026-12-06 14:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credential_issuer_keys',
    sa.Column('key_id', sa.String(length=100), nullable=False),
    sa.Column('public_key_multibase', sa.String(length=100), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_credential_issuer_keys'))
    )
    op.create_table('issued_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('badge', 'clr', name='credential_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('source_key', sa.String(length=2200), nullable=False),
    sa.Column('title_th', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('status_list', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=100), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('share_name', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['credential_issuer_keys.key_id'], name=op.f('fk_issued_credentials_key_id_credential_issuer_keys')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_issued_credentials_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_credentials')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_issued_credentials_credential_id')),
    sa.UniqueConstraint('status_list', 'status_index', name=op.f('uq_issued_credentials_status_list_status_index'))
    )
    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.create_index('ix_issued_credentials_person_source', ['person_id', 'source_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_credentials_person_id'), ['person_id'], unique=False)

    op.create_table('credential_revocations',
    sa.Column('credential_pk', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('voided', 'admin', 'erased', name='credential_revocation_reason', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['credential_pk'], ['issued_credentials.id'], name=op.f('fk_credential_revocations_credential_pk_issued_credentials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_credential_revocations_revoked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('credential_pk', name=op.f('pk_credential_revocations'))
    )


def downgrade():
    op.drop_table('credential_revocations')
    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_credentials_person_id'))
        batch_op.drop_index('ix_issued_credentials_person_source')

    op.drop_table('issued_credentials')
    op.drop_table('credential_issuer_keys')
