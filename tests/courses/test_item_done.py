"""One rule for when a course item is done, read by the progress percentage and by completion alike."""

from __future__ import annotations

from datetime import UTC, datetime

from courses.models import ItemProgress, Lesson, Quiz
from courses.services.catalogue import Item
from courses.services.progress import item_done

WHEN = datetime(2026, 3, 1, 9, tzinfo=UTC)
LESSON = Item("https://academy.test/lessons/1", lesson=Lesson())
QUIZ = Item("https://academy.test/quizzes/1", quiz=Quiz())


def test_a_lesson_is_done_once_viewed_and_only_then() -> None:
    assert item_done(LESSON, ItemProgress(activity_iri=LESSON.iri, viewed_at=WHEN))
    assert not item_done(LESSON, None)
    # A `passed` about a lesson once counted towards the percentage, though never towards completion.
    assert not item_done(LESSON, ItemProgress(activity_iri=LESSON.iri, passed_at=WHEN))


def test_a_quiz_is_done_once_passed_not_when_viewed() -> None:
    assert item_done(QUIZ, ItemProgress(activity_iri=QUIZ.iri, passed_at=WHEN))
    assert not item_done(QUIZ, ItemProgress(activity_iri=QUIZ.iri, viewed_at=WHEN, failed_count=2))
    assert not item_done(QUIZ, None)
