"""The civil-service organisation: agencies, positions, people and their identifiers."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.db import Base, UtcDateTime, string_enum


class AgencyKind(enum.StrEnum):
    MINISTRY = "ministry"
    DEPARTMENT = "department"
    DIVISION = "division"


class PersonStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class PersonnelGroup(enum.StrEnum):
    IT = "it"
    NON_IT = "non_it"


class RoleLevel(enum.StrEnum):
    OPERATIONAL = "operational"
    SUPERVISOR = "supervisor"
    EXECUTIVE = "executive"


class IdentifierKind(enum.StrEnum):
    ACCOUNT = "account"
    MBOX = "mbox"
    MBOX_SHA1SUM = "mbox_sha1sum"
    OPENID = "openid"


class Agency(Base):
    __tablename__ = "agencies"
    # varchar_pattern_ops lets PostgreSQL use the index for "path LIKE 'prefix%'".
    __table_args__ = (Index("ix_agencies_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    #: Codes from the root down, each followed by "/": "03/03003/0300301/".
    #: Everything beneath an agency is a prefix match on it.
    path: Mapped[str] = mapped_column(String(255))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[AgencyKind] = mapped_column(string_enum(AgencyKind, "agency_kind"))
    name_th: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Agency | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Agency]] = relationship(back_populates="parent", order_by="Agency.code")

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"

    def lineage(self) -> list[Agency]:
        """This agency and those above it, nearest first."""
        chain: list[Agency] = []
        agency: Agency | None = self
        while agency is not None:
            chain.append(agency)
            agency = agency.parent
        return chain


class PositionType(Base):
    """บริหาร, อำนวยการ, วิชาการ, ทั่วไป (Civil Service Act 2551)."""

    __tablename__ = "position_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name_th: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    levels: Mapped[list[PositionLevel]] = relationship(
        back_populates="position_type", order_by="PositionLevel.sort_order"
    )


class PositionLevel(Base):
    """A level within a type, e.g. K2 ชำนาญการ, with the role level it implies by default."""

    __tablename__ = "position_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    position_type_id: Mapped[int] = mapped_column(ForeignKey("position_types.id"), index=True)
    name_th: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    role_level: Mapped[RoleLevel] = mapped_column(string_enum(RoleLevel, "role_level"))

    position_type: Mapped[PositionType] = relationship(back_populates="levels")


class PositionLine(Base):
    """สายงาน, e.g. นักวิชาการคอมพิวเตอร์; whether it is an IT line decides the personnel group."""

    __tablename__ = "position_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_th: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    is_it: Mapped[bool] = mapped_column(Boolean, default=False)
    position_type_id: Mapped[int] = mapped_column(ForeignKey("position_types.id"), index=True)

    position_type: Mapped[PositionType] = relationship()


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("agency_id", "employee_no"),
        # Covers counting the active people of a set of agencies per group without reading the table (IDP figures).
        Index("ix_people_agency_status_group", "agency_id", "status", "personnel_group", "id"),
        Index("ix_people_group_role_level", "personnel_group", "role_level"),
        # Covers counting one group's active people per agency over the whole tree (coverage of every
        # agency, the GDX feed): at 3,000,000 people the IT group is one short range of it.
        Index("ix_people_group_status_agency", "personnel_group", "status", "agency_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The pseudonymous id that goes into xAPI statements.
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    employee_no: Mapped[str] = mapped_column(String(30))
    title_th: Mapped[str] = mapped_column(String(50), default="")
    first_name_th: Mapped[str] = mapped_column(String(100))
    last_name_th: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str] = mapped_column(String(50), default="")
    first_name_en: Mapped[str] = mapped_column(String(100), default="")
    last_name_en: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    #: HMAC-SHA-256 of the citizen ID (academy/org/identity.py), never the ID itself; how sign-in finds the person.
    citizen_id_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    position_line_id: Mapped[int] = mapped_column(ForeignKey("position_lines.id"), index=True)
    position_level_id: Mapped[int] = mapped_column(ForeignKey("position_levels.id"), index=True)
    is_cio: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[PersonStatus] = mapped_column(
        string_enum(PersonStatus, "person_status"), default=PersonStatus.ACTIVE
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    #: The role profile, kept as derived by org.services.derive_role_profile().
    personnel_group: Mapped[PersonnelGroup] = mapped_column(string_enum(PersonnelGroup, "personnel_group"))
    role_level: Mapped[RoleLevel] = mapped_column(string_enum(RoleLevel, "role_level"))
    #: An admin's override of the derived profile; None means "as derived".
    personnel_group_override: Mapped[PersonnelGroup | None] = mapped_column(
        string_enum(PersonnelGroup, "personnel_group_override")
    )
    role_level_override: Mapped[RoleLevel | None] = mapped_column(string_enum(RoleLevel, "role_level_override"))
    #: ผู้บังคับบัญชา: from the HR import (supervisor_employee_no) or set by HR; None: the unit's head.
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    #: The head of their unit (agency_id): whoever in the unit has no supervisor of their own reports to them.
    is_unit_head: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    agency: Mapped[Agency] = relationship()
    position_line: Mapped[PositionLine] = relationship()
    position_level: Mapped[PositionLevel] = relationship()
    supervisor: Mapped[Person | None] = relationship(remote_side=[id], foreign_keys=[supervisor_id])
    identifiers: Mapped[list[PersonIdentifier]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonIdentifier.id"
    )

    @property
    def position_type(self) -> PositionType:
        return self.position_level.position_type

    @property
    def full_name_th(self) -> str:
        return f"{self.title_th}{self.first_name_th} {self.last_name_th}".strip()

    @property
    def full_name_en(self) -> str:
        return f"{self.title_en} {self.first_name_en} {self.last_name_en}".strip()

    @property
    def position_title_th(self) -> str:
        """The title as line + level, e.g. นักวิชาการคอมพิวเตอร์ชำนาญการ."""
        return f"{self.position_line.name_th}{self.position_level.name_th}"

    def position_title(self, locale: str) -> str:
        """The title in a language: in English "line, level" where both have English names, else the Thai."""
        line, level = self.position_line.name_en, self.position_level.name_en
        if locale == "en" and line:
            return f"{line}, {level}" if level else line
        return self.position_title_th

    def __repr__(self) -> str:
        return f"<Person {self.public_id}>"


class PersonIdentifier(Base):
    """An xAPI inverse functional identifier through which statements reach a person."""

    __tablename__ = "person_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdentifierKind] = mapped_column(string_enum(IdentifierKind, "identifier_kind"))
    #: Canonical form from org.services.identifier_key(); unique across all people.
    key: Mapped[str] = mapped_column(String(600), unique=True)

    person: Mapped[Person] = relationship(back_populates="identifiers")
