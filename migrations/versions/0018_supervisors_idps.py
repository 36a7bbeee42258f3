"""Supervisors and unit heads; individual development plans (IDPs) with goals, planned learning, versions

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-06 14:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


_STATES = ("draft", "submitted", "returned", "agreed", "closed")


def upgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervisor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("is_unit_head", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_people_supervisor_id_people"), "people", ["supervisor_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_people_supervisor_id"), ["supervisor_id"], unique=False)

    op.create_table(
        "idps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("state", _enum("idp_state", *_STATES), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("return_comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agreed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_idps_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["agreed_by_id"], ["users.id"], name=op.f("fk_idps_agreed_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idps")),
        sa.UniqueConstraint("person_id", "fiscal_year", name=op.f("uq_idps_person_id_fiscal_year")),
    )
    with op.batch_alter_table("idps", schema=None) as batch_op:
        batch_op.create_index("ix_idps_fiscal_year_state", ["fiscal_year", "state"], unique=False)

    op.create_table(
        "idp_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idp_id", sa.Integer(), nullable=False),
        sa.Column("competency_id", sa.Integer(), nullable=False),
        sa.Column("target_level", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("result", _enum("goal_result", "met", "partly_met", "not_met"), nullable=True),
        sa.Column("result_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["idp_id"], ["idps.id"], name=op.f("fk_idp_goals_idp_id_idps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["competencies.id"],
            name=op.f("fk_idp_goals_competency_id_competencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idp_goals")),
    )
    with op.batch_alter_table("idp_goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idp_goals_idp_id"), ["idp_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_idp_goals_competency_id"), ["competency_id"], unique=False)

    op.create_table(
        "idp_learning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("learning_kind", "course", "activity", "on_the_job"), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("activity_iri", sa.String(length=2048), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["idp_goals.id"], name=op.f("fk_idp_learning_goal_id_idp_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_idp_learning_course_id_courses"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idp_learning")),
    )
    with op.batch_alter_table("idp_learning", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idp_learning_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_idp_learning_course_id"), ["course_id"], unique=False)

    op.create_table(
        "idp_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idp_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("state", _enum("idp_version_state", *_STATES), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(["idp_id"], ["idps.id"], name=op.f("fk_idp_versions_idp_id_idps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_idp_versions_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idp_versions")),
        sa.UniqueConstraint("idp_id", "version", name=op.f("uq_idp_versions_idp_id_version")),
    )


def downgrade():
    op.drop_table("idp_versions")
    with op.batch_alter_table("idp_learning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idp_learning_course_id"))
        batch_op.drop_index(batch_op.f("ix_idp_learning_goal_id"))
    op.drop_table("idp_learning")
    with op.batch_alter_table("idp_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idp_goals_competency_id"))
        batch_op.drop_index(batch_op.f("ix_idp_goals_idp_id"))
    op.drop_table("idp_goals")
    with op.batch_alter_table("idps", schema=None) as batch_op:
        batch_op.drop_index("ix_idps_fiscal_year_state")
    op.drop_table("idps")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_supervisor_id"))
        batch_op.drop_constraint(batch_op.f("fk_people_supervisor_id_people"), type_="foreignkey")
        batch_op.drop_column("is_unit_head")
        batch_op.drop_column("supervisor_id")
