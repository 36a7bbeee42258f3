"""Individual development plans: a person's plan for a fiscal year, its goals, planned learning and versions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.db import Base, UtcDateTime, string_enum
from academy.org.models import Person
from competencies.models import Competency


class IdpState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    AGREED = "agreed"
    CLOSED = "closed"


class GoalResult(enum.StrEnum):
    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


class LearningKind(enum.StrEnum):
    COURSE = "course"  # one of our courses
    ACTIVITY = "activity"  # a provider's activity, by its IRI
    ON_THE_JOB = "on_the_job"  # free text, with a date


class Idp(Base):
    """แผนพัฒนารายบุคคล: one per person per fiscal year (BE)."""

    __tablename__ = "idps"
    __table_args__ = (
        UniqueConstraint("person_id", "fiscal_year"),
        # The year's plans in a state with their people, read from the index alone (HR's figures).
        Index("ix_idps_fiscal_year_state_person", "fiscal_year", "state", "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    state: Mapped[IdpState] = mapped_column(string_enum(IdpState, "idp_state"), default=IdpState.DRAFT)
    #: When the whole plan should be done (by default the fiscal year's last day).
    due_date: Mapped[date] = mapped_column(Date)
    #: The supervisor's comment when they last returned it.
    return_comment: Mapped[str] = mapped_column(Text, default="")
    #: Counts every saved change; the versions table keeps each one.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: Projection: how many goals the plan has and how many are met (IdpGoal.met), recounted by every
    #: change (workflow.record_change) and when attainment moves (levels.follow_attainment).
    goal_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    goals_met: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    agreed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    person: Mapped[Person] = relationship()
    goals: Mapped[list[IdpGoal]] = relationship(
        back_populates="idp", order_by="IdpGoal.sort_order, IdpGoal.id", cascade="all, delete-orphan"
    )


class IdpGoal(Base):
    """Reach a level in one competency of the standard."""

    __tablename__ = "idp_goals"
    __table_args__ = (
        # A plan's goals with what counting them met needs, read from the index alone (HR's figures).
        Index("ix_idp_goals_idp_id_levels", "idp_id", "competency_id", "target_level", "attained_level", "result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idp_id: Mapped[int] = mapped_column(ForeignKey("idps.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), index=True)
    target_level: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    #: Recorded when the plan is closed at the year's end.
    result: Mapped[GoalResult | None] = mapped_column(string_enum(GoalResult, "goal_result"))
    result_note: Mapped[str] = mapped_column(Text, default="")
    #: Projection: the person's attained level in the competency now (0 without evidence), kept by the
    #: attainment recompute (competencies.services.evidence) and its rebuild; HR's figures count it.
    attained_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    idp: Mapped[Idp] = relationship(back_populates="goals")
    competency: Mapped[Competency] = relationship()
    learning: Mapped[list[IdpLearning]] = relationship(
        back_populates="goal", order_by="IdpLearning.id", cascade="all, delete-orphan"
    )

    @property
    def met(self) -> bool:
        """Met: the closing result says so or, without a result yet, the attained level reaches the target."""
        if self.result is not None:
            return self.result is GoalResult.MET
        return self.attained_level >= self.target_level

    @classmethod
    def met_condition(cls) -> ColumnElement[bool]:
        """``met`` in SQL: true for a goal that is met."""
        return or_(
            cls.result == GoalResult.MET,
            and_(cls.result.is_(None), cls.attained_level >= cls.target_level),
        )


class IdpLearning(Base):
    """Planned learning towards a goal: a course of ours, a provider's activity, or on-the-job learning."""

    __tablename__ = "idp_learning"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("idp_goals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LearningKind] = mapped_column(string_enum(LearningKind, "learning_kind"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    activity_iri: Mapped[str | None] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text, default="")
    planned_on: Mapped[date | None] = mapped_column(Date)

    goal: Mapped[IdpGoal] = relationship(back_populates="learning")


class IdpVersion(Base):
    """Append-only: the plan as it was after each change, who made it and why."""

    __tablename__ = "idp_versions"
    __table_args__ = (UniqueConstraint("idp_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idp_id: Mapped[int] = mapped_column(ForeignKey("idps.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    state: Mapped[IdpState] = mapped_column(string_enum(IdpState, "idp_version_state"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
