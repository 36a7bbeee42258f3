"""Courses' part of *My data* (academy.privacy): enrolments and progress, item progress, quiz attempts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy import select

from academy.db import db
from academy.privacy import DataSubject, ExportTable, exportable_columns, register_export_table
from courses.models import Course, Enrolment, ItemProgress, Quiz, QuizAttempt


def enrolment_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    query = (
        select(Enrolment, Course.code, Course.title_th, Course.title_en)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.person_id == subject.person_id)
        .order_by(Enrolment.id)
    )
    for enrolment, code, title_th, title_en in db.session.execute(query):
        row = exportable_columns(enrolment)
        row.pop("assigned_by_id", None)  # another person's account
        yield {**row, "course_code": code, "course_title_th": title_th, "course_title_en": title_en}


def item_progress_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    query = (
        select(ItemProgress, Course.code)
        .join(Enrolment, Enrolment.id == ItemProgress.enrolment_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.person_id == subject.person_id)
        .order_by(ItemProgress.enrolment_id, ItemProgress.activity_iri)
    )
    for progress, code in db.session.execute(query):
        yield {"course_code": code, **exportable_columns(progress)}


def quiz_attempt_rows(subject: DataSubject) -> Iterator[dict[str, Any]]:
    query = (
        select(QuizAttempt, Quiz.title_en, Course.code)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.person_id == subject.person_id)
        .order_by(QuizAttempt.id)
    )
    for attempt, quiz_title, code in db.session.execute(query):
        yield {"course_code": code, "quiz_title": quiz_title, **exportable_columns(attempt)}


def register_export_tables(app: Flask) -> None:
    for table in (
        ExportTable(
            "enrolments",
            enrolment_rows,
            "Your course enrolments: status, progress, completion.",
            "การลงทะเบียนเรียนของท่าน: สถานะ ความคืบหน้า การสำเร็จหลักสูตร",
        ),
        ExportTable(
            "course_progress",
            item_progress_rows,
            "Your progress in each lesson, quiz and unit of your courses.",
            "ความคืบหน้าในแต่ละบทเรียน แบบทดสอบ และหน่วยการเรียนของท่าน",
        ),
        ExportTable(
            "quiz_attempts",
            quiz_attempt_rows,
            "Your quiz attempts, answers and scores.",
            "การทำแบบทดสอบ คำตอบ และคะแนนของท่าน",
        ),
    ):
        register_export_table(app, table)
