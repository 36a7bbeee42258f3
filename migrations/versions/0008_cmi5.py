"""cmi5 packages: blocks, AUs, launch sessions (courses/cmi5)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 08:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table(
        "cmi5_courses",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("publisher_id", sa.String(length=2048), nullable=False),
        sa.Column("package_name", sa.String(length=255), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column(
            "imported_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_cmi5_courses_course_id_courses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_cmi5_courses")),
    )
    op.create_table(
        "cmi5_blocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("publisher_id", sa.String(length=2048), nullable=False),
        sa.Column("activity_iri", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_cmi5_blocks_course_id_courses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["cmi5_blocks.id"], name=op.f("fk_cmi5_blocks_parent_id_cmi5_blocks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmi5_blocks")),
        sa.UniqueConstraint("activity_iri", name=op.f("uq_cmi5_blocks_activity_iri")),
    )
    with op.batch_alter_table("cmi5_blocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmi5_blocks_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cmi5_blocks_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "cmi5_aus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("publisher_id", sa.String(length=2048), nullable=False),
        sa.Column("activity_iri", sa.String(length=2048), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("launch_method", _enum("cmi5_launch_method", "AnyWindow", "OwnWindow"), nullable=False),
        sa.Column(
            "move_on",
            _enum("cmi5_move_on", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"),
            nullable=False,
        ),
        sa.Column("mastery_score", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("launch_parameters", sa.Text(), nullable=True),
        sa.Column("entitlement_key", sa.Text(), nullable=True),
        sa.Column("activity_type", sa.String(length=2048), nullable=True),
        sa.ForeignKeyConstraint(
            ["block_id"], ["cmi5_blocks.id"], name=op.f("fk_cmi5_aus_block_id_cmi5_blocks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_cmi5_aus_course_id_courses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmi5_aus")),
        sa.UniqueConstraint("activity_iri", name=op.f("uq_cmi5_aus_activity_iri")),
        sa.UniqueConstraint("key", name=op.f("uq_cmi5_aus_key")),
    )
    with op.batch_alter_table("cmi5_aus", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmi5_aus_block_id"), ["block_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cmi5_aus_course_id"), ["course_id"], unique=False)

    op.create_table(
        "cmi5_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_cmi5_files_course_id_courses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmi5_files")),
        sa.UniqueConstraint("course_id", "path", name=op.f("uq_cmi5_files_course_id_path")),
    )
    op.create_table(
        "cmi5_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Uuid(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("au_id", sa.Integer(), nullable=False),
        sa.Column("launch_mode", _enum("cmi5_launch_mode", "Normal", "Browse", "Review"), nullable=False),
        sa.Column("launch_url", sa.Text(), nullable=False),
        sa.Column("fetch_hash", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("preferences_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("initialized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("abandoned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_statement_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verbs", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["au_id"], ["cmi5_aus.id"], name=op.f("fk_cmi5_sessions_au_id_cmi5_aus"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_cmi5_sessions_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cmi5_sessions")),
        sa.UniqueConstraint("fetch_hash", name=op.f("uq_cmi5_sessions_fetch_hash")),
        sa.UniqueConstraint("key", name=op.f("uq_cmi5_sessions_key")),
    )
    with op.batch_alter_table("cmi5_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cmi5_sessions_au_id"), ["au_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cmi5_sessions_enrolment_id"), ["enrolment_id"], unique=False)

    op.create_table(
        "cmi5_registrations",
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("satisfied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_cmi5_registrations_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enrolment_id", name=op.f("pk_cmi5_registrations")),
    )
    op.create_table(
        "cmi5_au_states",
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("au_id", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waive_reason", sa.String(length=255), nullable=True),
        sa.Column("satisfied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["au_id"], ["cmi5_aus.id"], name=op.f("fk_cmi5_au_states_au_id_cmi5_aus"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_cmi5_au_states_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enrolment_id", "au_id", name=op.f("pk_cmi5_au_states")),
    )
    op.create_table(
        "cmi5_block_states",
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("satisfied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_id"], ["cmi5_blocks.id"], name=op.f("fk_cmi5_block_states_block_id_cmi5_blocks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_cmi5_block_states_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enrolment_id", "block_id", name=op.f("pk_cmi5_block_states")),
    )


def downgrade():
    op.drop_table("cmi5_block_states")
    op.drop_table("cmi5_au_states")
    op.drop_table("cmi5_registrations")
    with op.batch_alter_table("cmi5_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmi5_sessions_enrolment_id"))
        batch_op.drop_index(batch_op.f("ix_cmi5_sessions_au_id"))

    op.drop_table("cmi5_sessions")
    op.drop_table("cmi5_files")
    with op.batch_alter_table("cmi5_aus", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmi5_aus_course_id"))
        batch_op.drop_index(batch_op.f("ix_cmi5_aus_block_id"))

    op.drop_table("cmi5_aus")
    with op.batch_alter_table("cmi5_blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cmi5_blocks_parent_id"))
        batch_op.drop_index(batch_op.f("ix_cmi5_blocks_course_id"))

    op.drop_table("cmi5_blocks")
    op.drop_table("cmi5_courses")
