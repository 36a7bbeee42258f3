"""The xAPI activity IRIs of a course's items: built from the course IRI and each item's stable key."""

from __future__ import annotations

from flask import current_app

from courses.models import Lesson, Question, Quiz


def course_iri_for(code: str) -> str:
    """The activity IRI a new course of ours gets."""
    return f"{current_app.config['ACADEMY_BASE_URL']}/courses/{code}"


def lesson_iri(lesson: Lesson) -> str:
    return f"{lesson.module.course.activity_iri}/lessons/{lesson.key}"


def quiz_iri(quiz: Quiz) -> str:
    return f"{quiz.module.course.activity_iri}/quizzes/{quiz.key}"


def question_iri(question: Question) -> str:
    return f"{quiz_iri(question.quiz)}/questions/{question.key}"
