"""The learner's pages: dashboard, catalogue, course page, player (lessons and quizzes), transcript."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.permissions import people_scope
from academy.dates import current_fiscal_year, parse_fiscal_year, today
from academy.db import db
from academy.forms import CsrfForm
from academy.i18n import current_locale
from academy.inputs import paginate, parse_int
from academy.org.models import Person
from academy.org.services import get_agency_by_code, list_agencies, role_profile_of
from academy.transactions import commit_on_success
from competencies.models import Framework
from competencies.reports.permissions import can_see_agency, can_view_reports
from competencies.services.analysis import (
    person_gaps,
    population_choices,
    population_from_label,
    untrained_people,
)
from competencies.services.frameworks import active_standard, areas_of
from courses.models import (
    Course,
    CourseFormat,
    CourseKind,
    Enrolment,
    EnrolmentStatus,
    ItemProgress,
    Lesson,
    Quiz,
    QuizAttempt,
)
from courses.services.catalogue import (
    CatalogueFilter,
    catalogue_providers,
    catalogue_query,
    course_alignments,
    course_items,
    get_course,
    rank_courses_for_gaps,
)
from courses.services.enrolment import EnrolmentError, assign_course, enrol, enrolment_of, enrolments_of
from courses.services.player import (
    PlayerError,
    attempts_used,
    launch_course,
    quiz_passed,
    start_attempt,
    submit_attempt,
    view_lesson,
)
from courses.services.transcript import transcript_of

bp = Blueprint("courses", __name__, template_folder="templates")
PER_PAGE = 12
FORMAT_LABELS = {
    CourseFormat.ONLINE: _l("Online, self-paced"),
    CourseFormat.CLASSROOM: _l("Classroom"),
    CourseFormat.EXTERNAL: _l("External provider"),
}
STATUS_LABELS = {
    EnrolmentStatus.ENROLLED: _l("Not started"),
    EnrolmentStatus.IN_PROGRESS: _l("In progress"),
    EnrolmentStatus.COMPLETED: _l("Completed"),
}
LANGUAGE_LABELS = {"th": _l("Thai"), "en": _l("English")}

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def learner_required(view: F) -> F:
    """The page is a learner's own: the signed-in user must be a person of the civil service."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_user.person is None:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _locale() -> str:
    return current_locale()


@bp.app_context_processor
def course_labels() -> dict[str, object]:
    return {
        "format_label": lambda value: str(FORMAT_LABELS.get(value, value)),
        "enrolment_status_label": lambda value: str(STATUS_LABELS.get(value, value)),
        "language_label": lambda value: str(LANGUAGE_LABELS.get(value, value)),
    }


def _standard() -> Framework | None:
    return active_standard()


# --- dashboard ------------------------------------------------------------------------------------


@bp.get("/learn")
@learner_required
def dashboard() -> ResponseReturnValue:
    person: Person = current_user.person
    framework = _standard()
    gaps = person_gaps(person, framework) if framework else []
    enrolments = enrolments_of(person)
    recommendations = rank_courses_for_gaps(
        [g for g in gaps if g.gap],
        limit=6,
        exclude=[e.course_id for e in enrolments if e.status is EnrolmentStatus.COMPLETED],
    )
    locale = _locale()
    chart = {
        "labels": [g.competency.code for g in gaps],
        "names": [g.competency.name_en if locale == "en" else g.competency.name_th for g in gaps],
        "required": [g.required for g in gaps],
        "attained": [g.attained for g in gaps],
        "max": max((lvl.level for lvl in framework.levels), default=4) if framework else 4,
    }
    return render_template(
        "courses/dashboard.html",
        person=person,
        profile=role_profile_of(person),
        framework=framework,
        gaps=gaps,
        open_gaps=[g for g in gaps if g.gap],
        chart=chart,
        enrolments=enrolments,
        recommendations=recommendations,
        today=today(),
    )


# --- catalogue ------------------------------------------------------------------------------------


def _catalogue_filter() -> CatalogueFilter:
    args = request.args
    level_text = args.get("level", "")
    fmt = args.get("format", "")
    level = parse_int(level_text, high=100) if level_text else None
    if level_text and level is None:
        abort(400, description=_("The level must be a whole number."))
    if fmt and fmt not in {f.value for f in CourseFormat}:
        abort(400, description=_("Unknown course format."))
    return CatalogueFilter(
        text=args.get("q", "").strip()[:200],
        area=args.get("area", "").strip()[:20],
        level=level,
        provider=args.get("provider", "").strip()[:255],
        language=args.get("language", "").strip()[:10],
        format=CourseFormat(fmt) if fmt else None,
    )


@bp.get("/courses")
@login_required
def catalogue() -> ResponseReturnValue:
    filters = _catalogue_filter()
    page = paginate(catalogue_query(filters), PER_PAGE)
    framework = _standard()
    person = current_user.person
    enrolled: dict[int, Enrolment] = {}
    if person is not None and page.items:
        enrolled = {
            e.course_id: e
            for e in db.session.scalars(
                select(Enrolment).where(
                    Enrolment.person_id == person.id, Enrolment.course_id.in_([c.id for c in page.items])
                )
            )
        }
    return render_template(
        "courses/catalogue.html",
        page=page,
        filters=filters,
        areas=areas_of(framework) if framework else [],
        levels=framework.levels if framework else [],
        providers=catalogue_providers(),
        formats=list(CourseFormat),
        alignments=course_alignments(page.items),
        enrolled=enrolled,
    )


# --- a course -------------------------------------------------------------------------------------


def _published_course(code: str) -> Course:
    course = get_course(code)
    if course is None:
        abort(404)
    return course


def _own_enrolment(course: Course) -> Enrolment:
    person = current_user.person
    enrolment = enrolment_of(person, course) if person is not None else None
    if enrolment is None:
        abort(404)
    return enrolment


@bp.get("/courses/<code>")
@login_required
def course(code: str) -> ResponseReturnValue:
    course = _published_course(code)
    person = current_user.person
    enrolment = enrolment_of(person, course) if person is not None else None
    items = course_items(course)
    progress: dict[str, ItemProgress] = {}
    if enrolment is not None:
        progress = {
            row.activity_iri: row
            for row in db.session.scalars(select(ItemProgress).where(ItemProgress.enrolment_id == enrolment.id))
        }
    return render_template(
        "courses/course.html",
        course=course,
        enrolment=enrolment,
        items=items,
        progress=progress,
        alignments=course_alignments([course])[course.id],
        form=CsrfForm(),
        is_cmi5=course.kind is CourseKind.CMI5,
    )


@bp.post("/courses/<code>/enrol")
@learner_required
@commit_on_success
def enrol_in(code: str) -> ResponseReturnValue:
    course = _published_course(code)
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("The form has expired. Reload the page and try again."))
    try:
        enrolment = enrol(current_user.person, course)
    except EnrolmentError as error:
        abort(400, description=str(error))
    record_audit("course.enrol", target_type="course", target_id=course.code, details={"enrolment": enrolment.id})
    flash(_("You are enrolled in %(title)s.", title=course.title(_locale())), "success")
    return redirect(url_for("courses.course", code=course.code))


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
    passed = quiz_passed(enrolment, quiz)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description=_("The form has expired. Reload the page and try again."))
        try:
            submitted = start_attempt(enrolment, quiz)
            answers = {
                question.id: [
                    choice
                    for v in request.form.getlist(f"q{question.id}")
                    if (choice := parse_int(v, high=2**31 - 1)) is not None
                ]
                for question in quiz.questions
            }
            outcome = submit_attempt(submitted, answers, locale)
            # Not commit_on_success: a failure starting the next attempt below must not undo this one.
            db.session.commit()
            passed = passed or outcome.passed
        except PlayerError as exc:
            db.session.rollback()
            error = _player_error(exc)
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
    return render_template(
        "courses/quiz.html",
        course=course,
        enrolment=enrolment,
        quiz=quiz,
        attempt=attempt,
        questions=questions,
        outcome=outcome,
        error=error,
        passed=passed,
        used=attempts_used(enrolment, quiz),
        form=form,
        previous=previous,
        following=following,
        items=course_items(course),
    ), (400 if error and request.method == "POST" else 200)


PLAYER_ERRORS = {
    "no attempts are left at this quiz": _l("You have used every attempt at this quiz."),
    "answer every question before you submit": _l("Answer every question before you submit."),
    "choose exactly one answer where a question asks for one": _l("Choose exactly one answer where asked."),
    "an answer is not one of the question's choices": _l("An answer is not one of the question's choices."),
    "this attempt was already submitted": _l("This attempt was already submitted."),
}


def _player_error(error: PlayerError) -> str:
    return str(PLAYER_ERRORS.get(str(error), str(error)))


# --- transcript -----------------------------------------------------------------------------------


@bp.get("/learn/transcript")
@no_store
@learner_required
def transcript() -> ResponseReturnValue:
    return render_template("courses/transcript.html", transcript=transcript_of(current_user.person))


@bp.get("/learn/transcript.pdf")
@no_store
@learner_required
def transcript_pdf() -> ResponseReturnValue:
    from academy.pdf import render_pdf

    person = current_user.person
    html = render_template("courses/transcript_pdf.html", transcript=transcript_of(person), person=person)
    record_audit("transcript.export", target_type="person", target_id=str(person.public_id))
    # Not commit_on_success: committing before the slow PDF rendering keeps the transaction
    # (on SQLite, the database's write lock) from lasting through it.
    db.session.commit()
    return Response(
        render_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": "attachment; filename=transcript.pdf"},
    )


# --- HR: assign a course ----------------------------------------------------------------------------


@bp.route("/courses/assign", methods=["GET", "POST"])
@login_required
@commit_on_success
def assign() -> ResponseReturnValue:
    """Assign a course to the untrained people of a role profile in an agency the officer may see."""
    if not can_view_reports(current_user):
        abort(403)
    args = request.form if request.method == "POST" else request.args
    agency = get_agency_by_code(args.get("agency", "")) if args.get("agency") else None
    if agency is not None and not can_see_agency(current_user, agency):
        abort(404)
    profiles = [p for p in population_choices() if p.profile is not None]
    try:
        population = population_from_label(args.get("profile", profiles[0].label))
    except ValueError:
        abort(400, description=_("Unknown role profile."))
    if population.profile is None:
        abort(400, description=_("Choose one role profile."))
    fiscal_year = current_fiscal_year()
    year_text = args.get("fiscal_year", "")
    if year_text:
        year = parse_fiscal_year(year_text)
        if year is None:
            abort(400, description=_("The fiscal year must be a Buddhist-Era year such as 2569."))
        fiscal_year = year
    course = get_course(args.get("course", "")) if args.get("course") else None
    # Who would be assigned: counted, and the first 50 shown; a large agency's list is not loaded whole.
    untrained = untrained_people(agency, fiscal_year, population.profile) if agency is not None else None
    form = CsrfForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description=_("The form has expired. Reload the page and try again."))
        if agency is None or course is None:
            abort(400, description=_("Choose an agency and a published course."))
        try:
            due_on = date.fromisoformat(request.form.get("due_on", ""))
        except ValueError:
            abort(400, description=_("The due date must be a date (YYYY-MM-DD)."))
        if due_on < today():
            abort(400, description=_("The due date must not be in the past."))
        assert untrained is not None
        ids = list(db.session.scalars(untrained.with_only_columns(Person.id).order_by(None)))
        count = assign_course(course, ids, fiscal_year, due_on, current_user)
        record_audit(
            "course.assign",
            target_type="agency",
            target_id=agency.code,
            details={"course": course.code, "profile": population.label, "fiscal_year": fiscal_year, "people": count},
        )
        flash(ngettext("%(num)s person was assigned the course.", "%(num)s people were assigned the course.", count))
        return redirect(url_for("courses.assign", agency=agency.code, profile=population.label, course=course.code))
    return render_template(
        "courses/assign.html",
        agencies=list_agencies(people_scope(current_user)),
        agency=agency,
        profiles=profiles,
        population=population,
        fiscal_year=fiscal_year,
        course=course,
        courses=db.session.scalars(catalogue_query()).all(),
        untrained_count=db.session.scalar(select(func.count()).select_from(untrained.subquery()))
        if untrained is not None
        else 0,
        untrained_first=db.session.scalars(untrained.limit(50)).all() if untrained is not None else [],
        form=form,
    )
