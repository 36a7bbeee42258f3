"""Courses and their content, enrolments, and the player's projection of learning statements.

A course's alignments to competencies are the competency package's ``Alignment`` rows for
the course's activity IRI: one table says what an activity teaches, whoever provides it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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
from academy.i18n import localized
from academy.org.models import Person


class CourseFormat(enum.StrEnum):
    ONLINE = "online"  # self-paced in our player
    CLASSROOM = "classroom"
    EXTERNAL = "external"  # delivered by a provider; records arrive by xAPI


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class CourseKind(enum.StrEnum):
    NATIVE = "native"  # modules of lessons and quizzes authored here
    CMI5 = "cmi5"  # blocks and AUs of an imported cmi5 package


class CompletionRule(enum.StrEnum):
    LESSONS_AND_QUIZZES = "lessons_and_quizzes"  # every lesson viewed and every quiz passed
    LESSONS = "lessons"  # every lesson viewed
    QUIZZES = "quizzes"  # every quiz passed


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"


class EnrolmentSource(enum.StrEnum):
    SELF = "self"
    ASSIGNED = "assigned"  # by an HR officer, for a fiscal year with a due date
    RECORD = "record"  # a completion reported by xAPI, with no enrolment here


class EnrolmentStatus(enum.StrEnum):
    ENROLLED = "enrolled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    title_th: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))
    description_th: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(255))
    format: Mapped[CourseFormat] = mapped_column(string_enum(CourseFormat, "course_format"))
    kind: Mapped[CourseKind] = mapped_column(string_enum(CourseKind, "course_kind"), default=CourseKind.NATIVE)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    language: Mapped[str] = mapped_column(String(10))
    status: Mapped[CourseStatus] = mapped_column(
        string_enum(CourseStatus, "course_status"), default=CourseStatus.DRAFT, index=True
    )
    #: The xAPI activity of the course; alignments and statements refer to it.
    activity_iri: Mapped[str] = mapped_column(String(2048), unique=True)
    completion_rule: Mapped[CompletionRule] = mapped_column(
        string_enum(CompletionRule, "completion_rule"), default=CompletionRule.LESSONS_AND_QUIZZES
    )
    #: After a failed attempt, show the learner which answers were wrong (not the right ones).
    quiz_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now(), onupdate=func.now())

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )

    def title(self, locale: str) -> str:
        return localized(self.title_th, self.title_en, locale)

    def description(self, locale: str) -> str:
        return localized(self.description_th, self.description_en, locale)


class Module(Base):
    __tablename__ = "course_modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title_th: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )
    quizzes: Mapped[list[Quiz]] = relationship(
        back_populates="module", order_by="Quiz.position", cascade="all, delete-orphan"
    )

    def title(self, locale: str) -> str:
        return localized(self.title_th, self.title_en, locale)


class Lesson(Base):
    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable across export and import: the lesson's activity IRI is built from it.
    key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title_th: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))
    #: Sanitised HTML (courses.content.sanitise_html) in each language.
    body_th: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    #: The Markdown the author wrote, when they wrote Markdown: body_th/body_en are its HTML, sanitised.
    #: None: the body was written as HTML (lessons from before Markdown, imports).
    markdown_th: Mapped[str | None] = mapped_column(Text)
    markdown_en: Mapped[str | None] = mapped_column(Text)
    video_url: Mapped[str | None] = mapped_column(String(2048))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_type: Mapped[str | None] = mapped_column(String(255))
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    minutes: Mapped[int] = mapped_column(Integer, default=10)

    module: Mapped[Module] = relationship(back_populates="lessons")

    def title(self, locale: str) -> str:
        return localized(self.title_th, self.title_en, locale)

    def body(self, locale: str) -> str:
        return localized(self.body_th, self.body_en, locale)


class Quiz(Base):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title_th: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500))
    #: Percent of the questions answered correctly needed to pass.
    pass_mark: Mapped[int] = mapped_column(Integer, default=70)
    #: None: unlimited attempts.
    attempt_limit: Mapped[int | None] = mapped_column(Integer)
    shuffle: Mapped[bool] = mapped_column(Boolean, default=True)

    module: Mapped[Module] = relationship(back_populates="quizzes")
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", order_by="Question.position", cascade="all, delete-orphan"
    )

    def title(self, locale: str) -> str:
        return localized(self.title_th, self.title_en, locale)


class Question(Base):
    __tablename__ = "quiz_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[QuestionKind] = mapped_column(string_enum(QuestionKind, "question_kind"))
    text_th: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    choices: Mapped[list[Choice]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan"
    )

    def text(self, locale: str) -> str:
        return localized(self.text_th, self.text_en, locale)


class Choice(Base):
    __tablename__ = "quiz_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    #: The response id in the xAPI interaction (choice ids of the cmi.interaction).
    code: Mapped[str] = mapped_column(String(50))
    text_th: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[Question] = relationship(back_populates="choices")

    def text(self, locale: str) -> str:
        return localized(self.text_th, self.text_en, locale)


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("person_id", "course_id"),
        Index("ix_enrolments_course_status", "course_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The xAPI registration of every statement of this enrolment.
    registration: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    source: Mapped[EnrolmentSource] = mapped_column(string_enum(EnrolmentSource, "enrolment_source"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    fiscal_year: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    status: Mapped[EnrolmentStatus] = mapped_column(
        string_enum(EnrolmentStatus, "enrolment_status"), default=EnrolmentStatus.ENROLLED
    )
    #: Projection of the statements: percent of the course's items done.
    progress: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    person: Mapped[Person] = relationship()
    course: Mapped[Course] = relationship()


class ItemProgress(Base):
    """Projection: what the statements say of one item (lesson, quiz, AU) of an enrolment."""

    __tablename__ = "item_progress"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True)
    activity_iri: Mapped[str] = mapped_column(String(2048), primary_key=True)
    viewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    passed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    best_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))


class QuizAttempt(Base):
    """One attempt at a quiz: the order it was shown in, the answers, the result."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    #: Question ids in the order shown, with each question's choice ids in order.
    layout: Mapped[list[Any]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    responses: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    passed: Mapped[bool | None] = mapped_column(Boolean)

    quiz: Mapped[Quiz] = relationship()
