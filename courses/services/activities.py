"""The xAPI activity IRIs of a course's items: built from the course IRI and each item's stable key."""

from __future__ import annotations

import uuid

from flask import current_app

from courses.models import Lesson, Question, Quiz


def course_iri_for(code: str) -> str:
    """The activity IRI a new course of ours gets."""
    return f"{current_app.config['ACADEMY_BASE_URL']}/courses/{code}"


def lesson_iri(lesson: Lesson) -> str:
    return item_iri(lesson.module.course.activity_iri, lesson.key, quiz=False)


def quiz_iri(quiz: Quiz) -> str:
    return item_iri(quiz.module.course.activity_iri, quiz.key, quiz=True)


def item_iri(course_iri: str, key: uuid.UUID, *, quiz: bool) -> str:
    """The IRI of a course's lesson or quiz, from the course's IRI and the item's key (no objects needed)."""
    return f"{course_iri}/{'quizzes' if quiz else 'lessons'}/{key}"


def question_iri(question: Question) -> str:
    return f"{quiz_iri(question.quiz)}/questions/{question.key}"
