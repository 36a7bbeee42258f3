"""Frameworks and their scales, role profiles and requirements, alignments, evidence, attainment."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.db import Base, UtcDateTime, string_enum
from academy.org.models import PersonnelGroup, RoleLevel


class FrameworkStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class EvidenceSource(enum.StrEnum):
    # COURSE and ASSESSOR are never written (a course completion is a statement like any
    # other): they stay only because the CHECK constraint of evidence.source (migration 0003)
    # names them, and the model must agree with the migrations.
    COURSE = "course"
    STATEMENT = "statement"  # an xAPI statement, from the platform or a provider
    SELF_ASSESSMENT = "self_assessment"
    ASSESSOR = "assessor"


class Framework(Base):
    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The CASE CFDocument identifier, kept across export and import.
    identifier: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(50))
    version: Mapped[str] = mapped_column(String(20))
    name_th: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[FrameworkStatus] = mapped_column(
        string_enum(FrameworkStatus, "framework_status"), default=FrameworkStatus.DRAFT
    )
    #: Self-assessments count towards attainment only when an admin says so.
    self_assessment_counts: Mapped[bool] = mapped_column(Boolean, default=False)

    levels: Mapped[list[ScaleLevel]] = relationship(
        back_populates="framework", order_by="ScaleLevel.level", cascade="all, delete-orphan"
    )
    competencies: Mapped[list[Competency]] = relationship(
        back_populates="framework", order_by="Competency.sort_order", cascade="all, delete-orphan"
    )


class ScaleLevel(Base):
    __tablename__ = "scale_levels"
    __table_args__ = (UniqueConstraint("framework_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    name_th: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    #: The first level that counts as proficient.
    proficient: Mapped[bool] = mapped_column(Boolean, default=False)

    framework: Mapped[Framework] = relationship(back_populates="levels")


class Competency(Base):
    """An area (no parent) or a competency beneath one."""

    __tablename__ = "competencies"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), index=True)
    identifier: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(50))
    name_th: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    #: Core areas are required of everyone; optional ones by role or agency plan.
    is_core: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    framework: Mapped[Framework] = relationship(back_populates="competencies")
    parent: Mapped[Competency | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Competency]] = relationship(back_populates="parent", order_by="Competency.sort_order")

    @property
    def is_area(self) -> bool:
        return self.parent_id is None


class RoleProfile(Base):
    """One of the six profiles (group x role level), for everyone or raised by one agency."""

    __tablename__ = "role_profiles"
    __table_args__ = (UniqueConstraint("framework_id", "code", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(50))
    personnel_group: Mapped[PersonnelGroup] = mapped_column(string_enum(PersonnelGroup, "profile_group"))
    role_level: Mapped[RoleLevel] = mapped_column(string_enum(RoleLevel, "profile_level"))
    #: None: the academy-wide default; an agency: that agency's own (for it and beneath it).
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    name_th: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))

    requirements: Mapped[list[Requirement]] = relationship(back_populates="profile", cascade="all, delete-orphan")


class Requirement(Base):
    __tablename__ = "requirements"
    __table_args__ = (UniqueConstraint("profile_id", "competency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("role_profiles.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), index=True)
    required_level: Mapped[int] = mapped_column(Integer)

    profile: Mapped[RoleProfile] = relationship(back_populates="requirements")
    competency: Mapped[Competency] = relationship()


class Alignment(Base):
    """Completing or passing the activity demonstrates the competency at the level."""

    __tablename__ = "alignments"
    __table_args__ = (UniqueConstraint("activity_id", "competency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[str] = mapped_column(String(2048), index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    #: The LRS client whose statements about the activity count (an admin's grant); NULL: the
    #: platform's own statements only. Platform statements count for every alignment.
    owner_client_id: Mapped[int | None] = mapped_column(ForeignKey("lrs_clients.id", ondelete="SET NULL"), index=True)

    competency: Mapped[Competency] = relationship()


class Evidence(Base):
    """Append-only: what shows a person's level in a competency, and where it came from."""

    __tablename__ = "evidence"
    __table_args__ = (
        Index("ix_evidence_person_competency", "person_id", "competency_id"),
        Index("ix_evidence_statement", "statement_id"),
        Index("ix_evidence_achieved", "achieved_at", "person_id"),
        # A person's first training evidence of a year (the monthly trend) from the index alone.
        Index(
            "ix_evidence_person_achieved",
            "person_id",
            "achieved_at",
            postgresql_include=["source", "withdrawn_at"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    source: Mapped[EvidenceSource] = mapped_column(string_enum(EvidenceSource, "evidence_source"))
    statement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    activity_id: Mapped[str | None] = mapped_column(String(2048))
    achieved_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Set when the statement behind it is voided; the row itself stays (append-only).
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())


class Attainment(Base):
    """Projection: a person's current level in a competency, from their evidence."""

    __tablename__ = "attainments"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[datetime] = mapped_column(UtcDateTime)
    evidence_count: Mapped[int] = mapped_column(Integer)


class CoverageTarget(Base):
    """The share of the target population to be trained in a fiscal year (60% by default)."""

    __tablename__ = "coverage_targets"

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class Standing(Base):
    """Projection: whether a person meets every level their profile requires (kept with attainment)."""

    __tablename__ = "standings"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    meets_all: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AreaStanding(Base):
    """Projection: a person meets every requirement of their profile within an area (a row when met)."""

    __tablename__ = "area_standings"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True)


class TrainingYear(Base):
    """Projection: a person has standing evidence from an aligned activity in a fiscal year (BE)."""

    __tablename__ = "training_years"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
