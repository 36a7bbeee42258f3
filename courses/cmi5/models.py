"""cmi5 storage: a course's structure (blocks, AUs, package files), launch sessions, and each
registration's satisfaction of AUs, blocks and the course.

A cmi5 course is a ``courses.Course`` of kind ``cmi5``; its enrolments' registrations are the
cmi5 registrations. Every block and AU keeps its publisher id (the id in ``cmi5.xml``) and gets
an activity IRI of ours, under the course's, as the spec asks (9.4, 8.1.5).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.db import Base, UtcDateTime, string_enum
from courses.models import Course, Enrolment

#: A language map of the package: {"th": "...", "en-US": "..."}; "" for a langstring without lang.
LangMap = dict[str, str]


def pick_language(texts: LangMap | None, locale: str) -> str:
    """The text of a language map for a locale: its language, else Thai, else English, else any."""
    if not texts:
        return ""
    for wanted in (locale, "th", "en"):
        for lang, text in texts.items():
            if lang.lower().split("-")[0] == wanted:
                return text
    return next(iter(texts.values()))


class MoveOn(enum.StrEnum):
    PASSED = "Passed"
    COMPLETED = "Completed"
    COMPLETED_AND_PASSED = "CompletedAndPassed"
    COMPLETED_OR_PASSED = "CompletedOrPassed"
    NOT_APPLICABLE = "NotApplicable"


class LaunchMethod(enum.StrEnum):
    ANY_WINDOW = "AnyWindow"
    OWN_WINDOW = "OwnWindow"


class LaunchMode(enum.StrEnum):
    NORMAL = "Normal"
    BROWSE = "Browse"
    REVIEW = "Review"


class Cmi5Course(Base):
    """What a cmi5 course keeps of its package beyond the course row."""

    __tablename__ = "cmi5_courses"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    #: The course's id in cmi5.xml (its publisher id).
    publisher_id: Mapped[str] = mapped_column(String(2048))
    package_name: Mapped[str] = mapped_column(String(255))
    title: Mapped[LangMap] = mapped_column(JSON)
    description: Mapped[LangMap] = mapped_column(JSON)
    #: The course's objectives: [{"id", "title", "description"}].
    objectives: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Learners may open its AUs in Browse mode (no results recorded) as well as Normal.
    allow_browse: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())

    course: Mapped[Course] = relationship()


class Block(Base):
    __tablename__ = "cmi5_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cmi5_blocks.id", ondelete="CASCADE"), index=True)
    #: Document order within the whole course structure.
    position: Mapped[int] = mapped_column(Integer)
    publisher_id: Mapped[str] = mapped_column(String(2048))
    #: Our activity IRI of the block (never the publisher id, cmi5 9.4).
    activity_iri: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[LangMap] = mapped_column(JSON)
    description: Mapped[LangMap] = mapped_column(JSON)
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)

    def title_in(self, locale: str) -> str:
        return pick_language(self.title, locale)


class AssignableUnit(Base):
    __tablename__ = "cmi5_aus"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable key in our URLs (launch) and in the AU's activity IRI.
    key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[int | None] = mapped_column(ForeignKey("cmi5_blocks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    publisher_id: Mapped[str] = mapped_column(String(2048))
    #: The activityId of the launch URL and of the AU's cmi5 defined statements (cmi5 8.1.5).
    activity_iri: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[LangMap] = mapped_column(JSON)
    description: Mapped[LangMap] = mapped_column(JSON)
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: As in cmi5.xml: absolute, or relative to the package root.
    url: Mapped[str] = mapped_column(String(2048))
    launch_method: Mapped[LaunchMethod] = mapped_column(string_enum(LaunchMethod, "cmi5_launch_method"))
    move_on: Mapped[MoveOn] = mapped_column(string_enum(MoveOn, "cmi5_move_on"))
    mastery_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    launch_parameters: Mapped[str | None] = mapped_column(Text)
    entitlement_key: Mapped[str | None] = mapped_column(Text)
    activity_type: Mapped[str | None] = mapped_column(String(2048))

    course: Mapped[Course] = relationship()
    block: Mapped[Block | None] = relationship()

    def title_in(self, locale: str) -> str:
        return pick_language(self.title, locale)


class PackageFile(Base):
    """A file of a ZIP package, served to the browser under the course's content path.

    Its content is on disk, not in the database: ``<ACADEMY_CMI5_STORAGE_DIR>/<course_id>/<id>``
    (courses/cmi5/storage.py); the name on disk is never the package's own path.
    """

    __tablename__ = "cmi5_files"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1024))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)


class LaunchSession(Base):
    """One launch of an AU by a learner: the session id, its one-time fetch URL and its credentials."""

    __tablename__ = "cmi5_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The cmi5 session id (context extension sessionid).
    key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    au_id: Mapped[int] = mapped_column(ForeignKey("cmi5_aus.id", ondelete="CASCADE"), index=True)
    launch_mode: Mapped[LaunchMode] = mapped_column(string_enum(LaunchMode, "cmi5_launch_mode"))
    #: The launch URL without the cmi5 parameters (context extension launchurl).
    launch_url: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the one-time fetch token; only hashes of secrets are stored.
    fetch_hash: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    launched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: When the AU read its learner preferences (it must before ``initialized``, cmi5 11.0).
    preferences_read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    initialized_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    terminated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    abandoned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Timestamp of the AU's last statement in the session (the abandoned statement's duration).
    last_statement_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The cmi5 defined verbs (short names) the AU has sent in this session, in order.
    verbs: Mapped[list[str]] = mapped_column(JSON, default=list)

    enrolment: Mapped[Enrolment] = relationship()
    au: Mapped[AssignableUnit] = relationship()

    @property
    def is_open(self) -> bool:
        return self.terminated_at is None and self.abandoned_at is None

    @property
    def credential_key(self) -> str:
        """The key half of the session's Basic credentials (the auth-token)."""
        return f"cmi5-{self.key.hex}"


class Registration(Base):
    """A cmi5 registration: an enrolment in a cmi5 course, its moveOn evaluated at the start."""

    __tablename__ = "cmi5_registrations"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: When the LMS issued ``satisfied`` for the course.
    satisfied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuState(Base):
    """What the statements of one registration say of one AU."""

    __tablename__ = "cmi5_au_states"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True)
    au_id: Mapped[int] = mapped_column(ForeignKey("cmi5_aus.id", ondelete="CASCADE"), primary_key=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    passed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    waived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    waive_reason: Mapped[str | None] = mapped_column(String(255))
    #: When its moveOn criteria were met (or it was waived).
    satisfied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class BlockState(Base):
    """A block satisfied in a registration (the LMS issued ``satisfied`` for it)."""

    __tablename__ = "cmi5_block_states"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("cmi5_blocks.id", ondelete="CASCADE"), primary_key=True)
    satisfied_at: Mapped[datetime] = mapped_column(UtcDateTime)
