"""Course helpers: a quiz's right and wrong answers."""

from __future__ import annotations

from courses.models import Quiz


def correct_answers(quiz: Quiz) -> dict[int, list[int]]:
    return {q.id: [c.id for c in q.choices if c.correct] for q in quiz.questions}


def wrong_answers(quiz: Quiz) -> dict[int, list[int]]:
    return {q.id: [next(c.id for c in q.choices if not c.correct)] for q in quiz.questions}
