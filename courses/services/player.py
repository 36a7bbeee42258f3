"""The player: what a learner does in a course becomes xAPI statements, stored in-process.

Every statement is built with the ``tincan`` library and goes through
``lrs.statements.store_statements()``; the progress projection (``courses.services.progress``)
and the competencies' evidence follow from the stored statements, never from the player.
The enrolment's registration groups them; the course is the context parent.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    AgentAccount,
    Context,
    ContextActivities,
    Extensions,
    LanguageMap,
    Result,
    Score,
    Statement,
    Verb,
)

from academy.db import db
from courses.models import (
    Choice,
    CompletionRule,
    Course,
    Enrolment,
    EnrolmentStatus,
    ItemProgress,
    Lesson,
    Question,
    QuestionKind,
    Quiz,
    QuizAttempt,
)
from courses.services.activities import lesson_iri, question_iri, quiz_iri
from courses.services.catalogue import course_items
from courses.services.progress import item_done, item_progress_of
from lrs import XapiVersion, store_statements

PLATFORM = "E-Workforce Academy"
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    name: Verb(id=ADL + name, display=LanguageMap({"en-US": name}))
    for name in ("launched", "experienced", "progressed", "answered", "passed", "failed", "completed")
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "interaction": "http://adlnet.gov/expapi/activities/cmi.interaction",
}
#: The progress extension cmi5 defines, an integer percent.
PROGRESS_EXTENSION = "https://w3id.org/xapi/cmi5/result/extensions/progress"
LANGUAGE_TAGS = {"th": "th-TH", "en": "en-US"}


class PlayerError(ValueError):
    """Something the learner cannot do now; the message says why."""


def player_authority() -> dict[str, Any]:
    """The authority of statements our own player stores."""
    return {
        "objectType": "Agent",
        "name": PLATFORM,
        "account": {"homePage": current_app.config["ACADEMY_BASE_URL"], "name": "academy-player"},
    }


# --- building statements ------------------------------------------------------------------------


def _names(th: str, en: str) -> LanguageMap:
    return LanguageMap({"th-TH": th, "en-US": en or th})


def _course_activity(course: Course) -> Activity:
    return Activity(
        id=course.activity_iri,
        definition=ActivityDefinition(type=ACTIVITY_TYPES["course"], name=_names(course.title_th, course.title_en)),
    )


def _actor(enrolment: Enrolment) -> Agent:
    return Agent(
        account=AgentAccount(home_page=current_app.config["ACADEMY_BASE_URL"], name=str(enrolment.person.public_id))
    )


def _statement(
    enrolment: Enrolment,
    verb: str,
    target: Activity,
    locale: str,
    *,
    result: Result | None = None,
    parent: Activity | None = None,
) -> dict[str, Any]:
    course = _course_activity(enrolment.course)
    parents = [parent or course] if target.id != course.id else []
    grouping = [course] if parent is not None else []
    statement = Statement(
        id=uuid.uuid4(),
        actor=_actor(enrolment),
        verb=VERBS[verb],
        object=target,
        result=result,
        context=Context(
            registration=enrolment.registration,
            platform=PLATFORM,
            language=LANGUAGE_TAGS.get(locale, "th-TH"),
            context_activities=ContextActivities(parent=parents or None, grouping=grouping or None),
        ),
        timestamp=datetime.now(UTC),
    )
    document: dict[str, Any] = statement.as_version("1.0.3")
    document.pop("version", None)  # the LRS sets it
    return document


def _store(statements: Sequence[dict[str, Any]]) -> None:
    store_statements(list(statements), version=XapiVersion.V1, authority=player_authority())


# --- the learner's actions ------------------------------------------------------------------------


def launch_course(enrolment: Enrolment, locale: str) -> None:
    """Record that the learner opened the course in the player."""
    _store([_statement(enrolment, "launched", _course_activity(enrolment.course), locale)])


def view_lesson(enrolment: Enrolment, lesson: Lesson, locale: str) -> None:
    """Record that the learner experienced a lesson, with the course's progress after it."""
    activity = Activity(
        id=lesson_iri(lesson),
        definition=ActivityDefinition(type=ACTIVITY_TYPES["lesson"], name=_names(lesson.title_th, lesson.title_en)),
    )
    _store([_statement(enrolment, "experienced", activity, locale)])
    _after_progress(enrolment, locale)


def _after_progress(enrolment: Enrolment, locale: str) -> None:
    """Report the new progress, and complete the course when its rule is met."""
    db.session.refresh(enrolment)
    if enrolment.status is EnrolmentStatus.COMPLETED:
        return
    if completion_rule_met(enrolment):
        result = Result(completion=True, success=True, duration=_duration_since(enrolment.enrolled_at))
        _store([_statement(enrolment, "completed", _course_activity(enrolment.course), locale, result=result)])
    else:
        result = Result(extensions=Extensions({PROGRESS_EXTENSION: enrolment.progress}))
        _store([_statement(enrolment, "progressed", _course_activity(enrolment.course), locale, result=result)])


def _duration_since(start: datetime) -> str:
    seconds = max(int((datetime.now(UTC) - start).total_seconds()), 0)
    return f"PT{seconds}S"


def completion_rule_met(enrolment: Enrolment) -> bool:
    """Whether the projection of the enrolment's statements meets the course's completion rule."""
    items = course_items(enrolment.course)
    rows = item_progress_of(enrolment)
    rule = enrolment.course.completion_rule
    lessons_done = all(item_done(i, rows.get(i.iri)) for i in items if i.lesson is not None)
    quizzes_done = all(item_done(i, rows.get(i.iri)) for i in items if i.quiz is not None)
    if not items:
        return False
    if rule is CompletionRule.LESSONS:
        return lessons_done
    if rule is CompletionRule.QUIZZES:
        return quizzes_done
    return lessons_done and quizzes_done


# --- quizzes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptOutcome:
    attempt: QuizAttempt
    correct: int
    total: int
    passed: bool
    attempts_left: int | None


def attempts_used(enrolment: Enrolment, quiz: Quiz) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(
                QuizAttempt.enrolment_id == enrolment.id,
                QuizAttempt.quiz_id == quiz.id,
                QuizAttempt.submitted_at.is_not(None),
            )
        )
        or 0
    )


def quiz_passed(enrolment: Enrolment, quiz: Quiz) -> bool:
    row = db.session.get(ItemProgress, (enrolment.id, quiz_iri(quiz)))
    return row is not None and row.passed_at is not None


def start_attempt(enrolment: Enrolment, quiz: Quiz, rng: random.Random | None = None) -> QuizAttempt:
    """The learner's open attempt at the quiz, or a new one with the questions (and choices) shuffled."""
    open_attempt = db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.enrolment_id == enrolment.id,
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.submitted_at.is_(None),
        )
    )
    if open_attempt is not None:
        return open_attempt
    if quiz.attempt_limit is not None and attempts_used(enrolment, quiz) >= quiz.attempt_limit:
        raise PlayerError("no attempts are left at this quiz")
    rng = rng or random.Random()
    questions = list(quiz.questions)
    if quiz.shuffle:
        rng.shuffle(questions)
    layout = []
    for question in questions:
        choices = [choice.id for choice in question.choices]
        if quiz.shuffle and question.kind is not QuestionKind.TRUE_FALSE:
            rng.shuffle(choices)
        layout.append({"question": question.id, "choices": choices})
    attempt = QuizAttempt(enrolment_id=enrolment.id, quiz_id=quiz.id, layout=layout)
    db.session.add(attempt)
    db.session.flush()
    return attempt


def _interaction(question: Question, locale: str) -> Activity:
    if question.kind is QuestionKind.TRUE_FALSE:
        correct = next((c for c in question.choices if c.correct), None)
        definition = ActivityDefinition(
            type=ACTIVITY_TYPES["interaction"],
            name=_names(question.text_th, question.text_en),
            interaction_type="true-false",
            correct_responses_pattern=["true" if correct is not None and correct.code == "true" else "false"],
        )
    else:
        definition = ActivityDefinition(
            type=ACTIVITY_TYPES["interaction"],
            name=_names(question.text_th, question.text_en),
            interaction_type="choice",
            correct_responses_pattern=["[,]".join(c.code for c in question.choices if c.correct)],
            choices=[
                {"id": c.code, "description": {"th-TH": c.text_th, "en-US": c.text_en or c.text_th}}
                for c in question.choices
            ],
        )
    return Activity(id=question_iri(question), definition=definition)


def submit_attempt(attempt: QuizAttempt, answers: Mapping[int, Sequence[int]], locale: str) -> AttemptOutcome:
    """Score the answers (question id -> chosen choice ids); record answered, then passed or failed."""
    if attempt.submitted_at is not None:
        raise PlayerError("this attempt was already submitted")
    quiz = attempt.quiz
    questions = {q.id: q for q in quiz.questions}
    responses: dict[str, list[int]] = {}
    correct_count = 0
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    assert enrolment is not None
    statements = []
    for entry in attempt.layout:
        question = questions.get(entry["question"])
        if question is None:
            continue  # removed from the quiz since the attempt began
        chosen = list(dict.fromkeys(answers.get(question.id, ())))
        by_id = {c.id: c for c in question.choices}
        if not chosen:
            raise PlayerError("answer every question before you submit")
        if any(cid not in by_id for cid in chosen):
            raise PlayerError("an answer is not one of the question's choices")
        if question.kind is not QuestionKind.MULTIPLE and len(chosen) != 1:
            raise PlayerError("choose exactly one answer where a question asks for one")
        is_correct = {cid for cid in chosen} == {c.id for c in question.choices if c.correct}
        correct_count += is_correct
        responses[str(question.id)] = chosen
        statements.append(
            _statement(
                enrolment,
                "answered",
                _interaction(question, locale),
                locale,
                result=Result(response="[,]".join(by_id[cid].code for cid in chosen), success=is_correct),
                parent=Activity(id=quiz_iri(quiz)),
            )
        )
    total = len(responses)
    score = (Decimal(correct_count) * 100 / total).quantize(Decimal("0.01"), ROUND_HALF_UP) if total else Decimal(0)
    passed = score >= quiz.pass_mark
    attempt.responses, attempt.score, attempt.passed = responses, score, passed
    attempt.submitted_at = datetime.now(UTC)
    quiz_activity = Activity(
        id=quiz_iri(quiz),
        definition=ActivityDefinition(type=ACTIVITY_TYPES["assessment"], name=_names(quiz.title_th, quiz.title_en)),
    )
    result = Result(
        score=Score(scaled=float(score / 100), raw=correct_count, min=0, max=total),
        success=passed,
        completion=True,
        duration=_duration_since(attempt.started_at),
    )
    statements.append(_statement(enrolment, "passed" if passed else "failed", quiz_activity, locale, result=result))
    _store(statements)
    db.session.flush()
    _after_progress(enrolment, locale)
    used = attempts_used(enrolment, quiz)
    left = None if quiz.attempt_limit is None else max(quiz.attempt_limit - used, 0)
    return AttemptOutcome(attempt, correct_count, total, passed, left)


@dataclass(frozen=True)
class ReviewedQuestion:
    """One question of a submitted attempt, as the learner answered it: the chosen choices and whether right."""

    question: Question
    chosen: list[Choice]
    correct: bool


def attempt_review(attempt: QuizAttempt, questions: Mapping[int, Question]) -> list[ReviewedQuestion]:
    """The submitted attempt, question by question in the order shown: what was chosen, and right or wrong.

    It names only the learner's own choices, never the right answers, so that a review does not give them away.
    """
    responses = attempt.responses or {}
    review = []
    for entry in attempt.layout:
        question = questions.get(entry["question"])
        if question is None or str(question.id) not in responses:
            continue
        by_id = {c.id: c for c in question.choices}
        chosen_ids = [cid for cid in responses[str(question.id)] if cid in by_id]
        right = {c.id for c in question.choices if c.correct}
        review.append(ReviewedQuestion(question, [by_id[cid] for cid in chosen_ids], set(chosen_ids) == right))
    return review
