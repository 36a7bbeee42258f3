"""Course authoring pages for a course's structure: modules, lessons (with files), quizzes, questions."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from academy.auth.permissions import admin_required
from academy.db import db
from academy.forms import CsrfForm
from academy.transactions import commit_on_success
from courses.authoring.blueprint import audit_edit, bp, offset_from_form, require_csrf, show_error
from courses.authoring_forms import (
    LessonForm,
    ModuleForm,
    QuestionForm,
    QuizForm,
)
from courses.content import ContentError, render_markdown, sanitise_html, validate_lesson_file, video_embed_url
from courses.models import Course, CourseKind, Lesson, Module, Question, Quiz
from courses.services.authoring import (
    AuthoringError,
    ChoiceInput,
    LessonInput,
    ModuleInput,
    QuestionInput,
    QuizInput,
    create_lesson,
    create_module,
    create_question,
    create_quiz,
    delete_lesson,
    delete_module,
    delete_question,
    delete_quiz,
    move_item,
    move_module,
    move_question,
    set_lesson_file,
    update_lesson,
    update_module,
    update_question,
    update_quiz,
)

# --- modules -----------------------------------------------------------------------------------------------


def _native_course(course: Course) -> None:
    if course.kind is not CourseKind.NATIVE:
        abort(400, description=_("The content of a cmi5 course comes from its package."))


@bp.post("/<int:course_id>/modules")
@admin_required
@commit_on_success
def add_module(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    _native_course(course)
    form = ModuleForm()
    if not form.validate_on_submit():
        abort(400, description=_("The form has expired; please try again."))
    try:
        module = create_module(course, ModuleInput(form.title_th.data or "", form.title_en.data or ""))
    except AuthoringError as error:
        db.session.rollback()
        flash(_("The module was not added: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("course_admin.edit", course_id=course_id) + "#outline")
    audit_edit(course, "module.create", module=module.title_th)
    return redirect(url_for("course_admin.edit", course_id=course_id) + f"#module-{module.id}")


@bp.route("/modules/<int:module_id>", methods=["GET", "POST"])
@admin_required
@commit_on_success
def module(module_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Module, module_id)
    form = ModuleForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            update_module(found, ModuleInput(form.title_th.data or "", form.title_en.data or ""))
        except AuthoringError as error:
            show_error(form, error)
        else:
            audit_edit(found.course, "module.update", module=found.title_th)
            return redirect(url_for("course_admin.edit", course_id=found.course_id) + f"#module-{found.id}")
    status = 400 if form.is_submitted() else 200
    return render_template("course_admin/module.html", module=found, course=found.course, form=form), status


# --- lessons -----------------------------------------------------------------------------------------------


def _lesson_input(form: LessonForm) -> LessonInput:
    # A post without the choice (scripts written before Markdown) is HTML, as it always was.
    markdown = bool(form.body_format.raw_data) and form.body_format.data == "markdown"
    return LessonInput(
        title_th=form.title_th.data or "",
        title_en=form.title_en.data or "",
        body_th="" if markdown else form.body_th.data or "",
        body_en="" if markdown else form.body_en.data or "",
        video_url=form.video_url.data or "",
        minutes=form.minutes.data or 0,
        markdown_th=form.body_th.data or "" if markdown else None,
        markdown_en=form.body_en.data or "" if markdown else None,
    )


def _lesson_form(lesson: Lesson | None) -> LessonForm:
    """The lesson's form: on a GET, an existing lesson's Markdown (or its HTML, if it was written in HTML)."""
    form = LessonForm(obj=lesson if request.method == "GET" else None)
    if request.method == "GET" and lesson is not None:
        if lesson.markdown_th is not None:
            form.body_format.data = "markdown"
            form.body_th.data, form.body_en.data = lesson.markdown_th, lesson.markdown_en or ""
        else:
            form.body_format.data = "html"
    return form


@bp.post("/preview")
@admin_required
def preview() -> ResponseReturnValue:
    """The editor's live preview: the text as the lesson would show it, sanitised as when saved."""
    require_csrf(CsrfForm())
    text = request.form.get("text", "")[:200_000]
    html = render_markdown(text) if request.form.get("format") == "markdown" else sanitise_html(text)
    return jsonify({"html": html})


def _lesson_page(form: LessonForm, module: Module, lesson: Lesson | None) -> ResponseReturnValue:
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "course_admin/lesson.html",
            form=form,
            module=module,
            course=module.course,
            lesson=lesson,
            embed=video_embed_url(lesson.video_url) if lesson else None,
        ),
        status,
    )


def _save_lesson(form: LessonForm, module: Module, lesson: Lesson | None) -> Lesson | None:
    """Create or update the lesson from the form; None (with the errors on the form) when it cannot."""
    upload = form.file.data
    file = None
    if upload and upload.filename:
        try:
            file = validate_lesson_file(upload.filename, upload.read())
        except ContentError as error:
            form.file.errors = [*form.file.errors, str(error)]
            return None
    try:
        saved = update_lesson(lesson, _lesson_input(form)) if lesson else create_lesson(module, _lesson_input(form))
    except AuthoringError as error:
        show_error(form, error)
        return None
    if file is not None:
        set_lesson_file(saved, file)
    elif form.remove_file.data:
        set_lesson_file(saved, None)
    return saved


@bp.route("/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
@admin_required
@commit_on_success
def new_lesson(module_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Module, module_id)
    _native_course(found.course)
    form = LessonForm()
    if form.validate_on_submit():
        lesson = _save_lesson(form, found, None)
        if lesson is not None:
            audit_edit(found.course, "lesson.create", lesson=str(lesson.key))
            flash(_("Lesson added."), "success")
            return redirect(url_for("course_admin.lesson", lesson_id=lesson.id))
    return _lesson_page(form, found, None)


@bp.route("/lessons/<int:lesson_id>", methods=["GET", "POST"])
@admin_required
@commit_on_success
def lesson(lesson_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Lesson, lesson_id)
    form = _lesson_form(found)
    if form.validate_on_submit() and _save_lesson(form, found.module, found) is not None:
        audit_edit(found.module.course, "lesson.update", lesson=str(found.key))
        flash(_("Saved."), "success")
        return redirect(url_for("course_admin.lesson", lesson_id=found.id))
    return _lesson_page(form, found.module, found)


@bp.get("/lessons/<int:lesson_id>/file")
@admin_required
def lesson_file(lesson_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Lesson, lesson_id)
    if not found.file_name or found.file_data is None:
        abort(404)
    return Response(
        found.file_data,
        mimetype=found.file_type or "application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.file_name)}"},
    )


# --- quizzes -----------------------------------------------------------------------------------------------


def _quiz_input(form: QuizForm) -> QuizInput:
    return QuizInput(
        title_th=form.title_th.data or "",
        title_en=form.title_en.data or "",
        pass_mark=form.pass_mark.data if form.pass_mark.data is not None else 70,
        attempt_limit=form.attempt_limit.data,
        shuffle=bool(form.shuffle.data),
    )


@bp.route("/modules/<int:module_id>/quizzes/new", methods=["GET", "POST"])
@admin_required
@commit_on_success
def new_quiz(module_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Module, module_id)
    _native_course(found.course)
    form = QuizForm()
    if form.validate_on_submit():
        try:
            quiz = create_quiz(found, _quiz_input(form))
        except AuthoringError as error:
            show_error(form, error)
        else:
            audit_edit(found.course, "quiz.create", quiz=str(quiz.key))
            flash(_("Quiz added. Now add its questions."), "success")
            return redirect(url_for("course_admin.quiz", quiz_id=quiz.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "course_admin/quiz.html", form=form, module=found, course=found.course, quiz=None, button=CsrfForm()
    ), status


@bp.route("/quizzes/<int:quiz_id>", methods=["GET", "POST"])
@admin_required
@commit_on_success
def quiz(quiz_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Quiz, quiz_id)
    form = QuizForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            update_quiz(found, _quiz_input(form))
        except AuthoringError as error:
            show_error(form, error)
        else:
            audit_edit(found.module.course, "quiz.update", quiz=str(found.key))
            flash(_("Saved."), "success")
            return redirect(url_for("course_admin.quiz", quiz_id=found.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "course_admin/quiz.html",
        form=form,
        module=found.module,
        course=found.module.course,
        quiz=found,
        button=CsrfForm(),
    ), status


# --- questions ---------------------------------------------------------------------------------------------


def _question_input(form: QuestionForm) -> tuple[QuestionInput, list[int]]:
    """The question of the form, and which form rows its choices came from (empty rows are skipped)."""
    rows = [index for index, row in enumerate(form.choices) if not row.form.is_empty()]
    choices = tuple(
        ChoiceInput(
            code=form.choices[i].form.code.data or "",
            text_th=form.choices[i].form.text_th.data or "",
            text_en=form.choices[i].form.text_en.data or "",
            correct=bool(form.choices[i].form.correct.data),
        )
        for i in rows
    )
    data = QuestionInput(
        kind=form.kind.data or "",
        text_th=form.text_th.data or "",
        text_en=form.text_en.data or "",
        choices=choices,
    )
    return data, rows


def _question_page(form: QuestionForm, quiz: Quiz, question: Question | None) -> ResponseReturnValue:
    status = 400 if form.is_submitted() else 200
    return (
        render_template(
            "course_admin/question.html",
            form=form,
            quiz=quiz,
            module=quiz.module,
            course=quiz.module.course,
            question=question,
        ),
        status,
    )


@bp.route("/quizzes/<int:quiz_id>/questions/new", methods=["GET", "POST"])
@admin_required
@commit_on_success
def new_question(quiz_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Quiz, quiz_id)
    form = QuestionForm()
    if form.validate_on_submit():
        data, rows = _question_input(form)
        try:
            question = create_question(found, data)
        except AuthoringError as error:
            show_error(form, error, rows)
        else:
            audit_edit(found.module.course, "question.create", question=str(question.key))
            flash(_("Question added."), "success")
            return redirect(url_for("course_admin.quiz", quiz_id=found.id) + "#questions")
    return _question_page(form, found, None)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@admin_required
@commit_on_success
def question(question_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Question, question_id)
    form = QuestionForm(obj=found if request.method == "GET" else None)
    if request.method == "GET":
        for row, choice in zip(form.choices, found.choices, strict=False):
            row.form.code.data, row.form.correct.data = choice.code, choice.correct
            row.form.text_th.data, row.form.text_en.data = choice.text_th, choice.text_en
    if form.validate_on_submit():
        data, rows = _question_input(form)
        try:
            update_question(found, data)
        except AuthoringError as error:
            show_error(form, error, rows)
        else:
            audit_edit(found.quiz.module.course, "question.update", question=str(found.key))
            flash(_("Saved."), "success")
            return redirect(url_for("course_admin.quiz", quiz_id=found.quiz_id) + "#questions")
    return _question_page(form, found.quiz, found)


# --- moving and deleting the parts of a course -------------------------------------------------------------

Part = Module | Lesson | Quiz | Question
PARTS: dict[str, type[Part]] = {"module": Module, "lesson": Lesson, "quiz": Quiz, "question": Question}


def _part(kind: str, part_id: int) -> tuple[Part, Course, str]:
    """The part, its course, and the page to return to."""
    model = PARTS.get(kind) or abort(404)
    part = db.get_or_404(model, part_id)
    if isinstance(part, Module):
        return part, part.course, url_for("course_admin.edit", course_id=part.course_id) + "#outline"
    if isinstance(part, Lesson | Quiz):
        course = part.module.course
        return part, course, url_for("course_admin.edit", course_id=course.id) + f"#module-{part.module_id}"
    return part, part.quiz.module.course, url_for("course_admin.quiz", quiz_id=part.quiz_id) + "#questions"


@bp.post("/<any(module, lesson, quiz, question):kind>/<int:part_id>/move")
@admin_required
@commit_on_success
def move(kind: str, part_id: int) -> ResponseReturnValue:
    part, course, back = _part(kind, part_id)
    require_csrf(CsrfForm())
    offset = offset_from_form()
    if isinstance(part, Module):
        move_module(part, offset)
    elif isinstance(part, Question):
        move_question(part, offset)
    else:
        move_item(part, offset)
    audit_edit(course, f"{kind}.move", offset=offset)
    return redirect(back)


@bp.post("/<any(module, lesson, quiz, question):kind>/<int:part_id>/delete")
@admin_required
@commit_on_success
def delete_part(kind: str, part_id: int) -> ResponseReturnValue:
    part, course, back = _part(kind, part_id)
    require_csrf(CsrfForm())
    title = part.text_th if isinstance(part, Question) else part.title_th
    if isinstance(part, Module):
        delete_module(part)
    elif isinstance(part, Lesson):
        delete_lesson(part)
    elif isinstance(part, Quiz):
        delete_quiz(part)
    else:
        delete_question(part)
    audit_edit(course, f"{kind}.delete", title=title[:100])
    flash(_("Deleted: %(title)s", title=title[:100]), "success")
    return redirect(back)
