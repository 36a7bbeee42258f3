"""The course player: launching a course, its lessons (and their files) and quizzes."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from academy.db import db
from academy.forms import CsrfForm
from academy.inputs import parse_int
from academy.transactions import commit_on_success
from courses.models import Course, CourseKind, ItemProgress, Lesson, Quiz, QuizAttempt
from courses.services.catalogue import course_items
from courses.services.player import (
    PlayerError,
    attempt_review,
    attempts_used,
    launch_course,
    quiz_passed,
    start_attempt,
    submit_attempt,
    view_lesson,
)
from courses.views.blueprint import _locale, _own_enrolment, _published_course, bp, learner_required


@bp.post("/courses/<code>/start")
@learner_required
@commit_on_success
def start(code: str) -> ResponseReturnValue:
    """Launch the course in the player and go to the first item not yet done."""
    course = _published_course(code)
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("The form has expired. Reload the page and try again."))
    enrolment = _own_enrolment(course)
    if course.kind is CourseKind.CMI5:
        return redirect(url_for("cmi5.course", code=course.code))
    launch_course(enrolment, _locale())
    done = {
        row.activity_iri
        for row in db.session.scalars(select(ItemProgress).where(ItemProgress.enrolment_id == enrolment.id))
        if row.viewed_at or row.passed_at
    }
    items = course_items(course)
    target = next((item for item in items if item.iri not in done), items[0] if items else None)
    if target is None:
        return redirect(url_for("courses.course", code=course.code))
    return redirect(_item_url(course, target.lesson, target.quiz))


def _item_url(course: Course, lesson: Lesson | None, quiz: Quiz | None) -> str:
    if lesson is not None:
        return url_for("courses.lesson", code=course.code, key=str(lesson.key))
    assert quiz is not None
    return url_for("courses.quiz", code=course.code, key=str(quiz.key))


def _neighbours(course: Course, key: str) -> tuple[str | None, str | None]:
    items = course_items(course)
    keys = [item.key for item in items]
    index = keys.index(key)
    previous = items[index - 1] if index > 0 else None
    following = items[index + 1] if index + 1 < len(items) else None
    return (
        _item_url(course, previous.lesson, previous.quiz) if previous else None,
        _item_url(course, following.lesson, following.quiz) if following else None,
    )


def _lesson_of(course: Course, key: str) -> Lesson:
    for item in course_items(course):
        if item.lesson is not None and item.key == key:
            return item.lesson
    abort(404)


def _quiz_of(course: Course, key: str) -> Quiz:
    for item in course_items(course):
        if item.quiz is not None and item.key == key:
            return item.quiz
    abort(404)


@bp.get("/courses/<code>/lessons/<key>")
@learner_required
@commit_on_success
def lesson(code: str, key: str) -> ResponseReturnValue:
    course = _published_course(code)
    enrolment = _own_enrolment(course)
    lesson = _lesson_of(course, key)
    # Opening the lesson is the learning event: it is recorded as `experienced`.
    view_lesson(enrolment, lesson, _locale())
    previous, following = _neighbours(course, key)
    return render_template(
        "courses/lesson.html",
        course=course,
        enrolment=enrolment,
        lesson=lesson,
        previous=previous,
        following=following,
        items=course_items(course),
    )


@bp.get("/courses/<code>/lessons/<key>/file")
@learner_required
def lesson_file(code: str, key: str) -> ResponseReturnValue:
    course = _published_course(code)
    _own_enrolment(course)
    lesson = _lesson_of(course, key)
    if not lesson.file_name or lesson.file_data is None:
        abort(404)
    return Response(
        lesson.file_data,
        mimetype=lesson.file_type or "application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(lesson.file_name)}"},
    )


def _quote(name: str) -> str:
    return quote(name, safe="")


@bp.route("/courses/<code>/quizzes/<key>", methods=["GET", "POST"])
@learner_required
def quiz(code: str, key: str) -> ResponseReturnValue:
    course = _published_course(code)
    enrolment = _own_enrolment(course)
    quiz = _quiz_of(course, key)
    form = CsrfForm()
    locale = _locale()
    outcome = None
    error = None
    status = 200
    passed = quiz_passed(enrolment, quiz)
    answers: dict[int, list[int]] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description=_("The form has expired. Reload the page and try again."))
        answers = {
            question.id: [
                choice
                for v in request.form.getlist(f"q{question.id}")
                if (choice := parse_int(v, high=2**31 - 1)) is not None
            ]
            for question in quiz.questions
        }
        try:
            submitted = start_attempt(enrolment, quiz)
            outcome = submit_attempt(submitted, answers, locale)
            # Not commit_on_success: a failure starting the next attempt below must not undo this one.
            db.session.commit()
            passed = passed or outcome.passed
        except PlayerError as exc:
            db.session.rollback()
            error = _player_error(exc)
            status = 200 if str(exc) in ANSWER_ERRORS else 400
    attempt: QuizAttempt | None = None
    if outcome is None and not passed:
        try:
            attempt = start_attempt(enrolment, quiz)
            db.session.commit()
        except PlayerError as exc:
            error = error or _player_error(exc)
    questions = {q.id: q for q in quiz.questions}
    previous, following = _neighbours(course, key)
    db.session.refresh(enrolment)
    review = None
    if outcome is not None and not outcome.passed and course.quiz_review:
        review = attempt_review(outcome.attempt, questions)
    return render_template(
        "courses/quiz.html",
        course=course,
        enrolment=enrolment,
        quiz=quiz,
        attempt=attempt,
        questions=questions,
        outcome=outcome,
        review=review,
        answers=answers if error else {},
        error=error,
        passed=passed,
        used=attempts_used(enrolment, quiz),
        form=form,
        previous=previous,
        following=following,
        items=course_items(course),
    ), (status if error and request.method == "POST" else 200)


#: Errors in the learner's answers: the form comes back, with their answers and the message.
ANSWER_ERRORS = frozenset(
    {"answer every question before you submit", "choose exactly one answer where a question asks for one"}
)

PLAYER_ERRORS = {
    "no attempts are left at this quiz": _l("You have used every attempt at this quiz."),
    "answer every question before you submit": _l("Answer every question before you submit."),
    "choose exactly one answer where a question asks for one": _l("Choose exactly one answer where asked."),
    "an answer is not one of the question's choices": _l("An answer is not one of the question's choices."),
    "this attempt was already submitted": _l("This attempt was already submitted."),
}


def _player_error(error: PlayerError) -> str:
    return str(PLAYER_ERRORS.get(str(error), str(error)))
