"""Course authoring pages for academy admins: courses, modules, lessons, quizzes, questions, import/export."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from academy.audit.services import record_audit
from academy.auth.permissions import can_administer
from academy.db import db
from competencies.models import Competency
from competencies.services.frameworks import active_standard, leaf_competencies
from courses.authoring_forms import (
    FORMAT_LABELS,
    KIND_LABELS,
    RULE_LABELS,
    STATUS_LABELS,
    CourseForm,
    CsrfForm,
    ImportForm,
    LessonForm,
    ModuleForm,
    QuestionForm,
    QuizForm,
)
from courses.content import ContentError, validate_lesson_file, video_embed_url
from courses.models import Course, CourseFormat, CourseKind, CourseStatus, Lesson, Module, Question, Quiz
from courses.services.authoring import (
    AlignmentInput,
    AuthoringError,
    ChoiceInput,
    CourseFilter,
    CourseInput,
    LessonInput,
    ModuleInput,
    QuestionInput,
    QuizInput,
    admin_courses_query,
    course_alignments,
    course_providers,
    create_course,
    create_lesson,
    create_module,
    create_question,
    create_quiz,
    delete_course,
    delete_lesson,
    delete_module,
    delete_question,
    delete_quiz,
    enrolment_count,
    module_items,
    move_item,
    move_module,
    move_question,
    set_alignments,
    set_course_status,
    set_lesson_file,
    update_course,
    update_lesson,
    update_module,
    update_question,
    update_quiz,
)
from courses.services.exchange import FORMATS, ExchangeError, Format, export_course_text, format_for, import_course_text

bp = Blueprint("course_admin", __name__, url_prefix="/admin/courses", template_folder="templates")
PER_PAGE = 25

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


def admin_required(view: F) -> F:
    """Academy admins only (others: 403)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not can_administer(current_user):
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)


@bp.context_processor
def _labels() -> dict[str, object]:
    return {
        "format_labels": FORMAT_LABELS,
        "status_labels": STATUS_LABELS,
        "rule_labels": RULE_LABELS,
        "kind_labels": KIND_LABELS,
    }


def _attach(form: FlaskForm, error: AuthoringError, rows: list[int] | None = None) -> None:
    """Show a service's error at the field it names, or above the form."""
    target: Any = form
    match = re.fullmatch(r"choices\[(\d+)\]\.(\w+)", error.field)
    if match and rows is not None and int(match[1]) < len(rows):
        target, name = form["choices"][rows[int(match[1])]], match[2]
    else:
        name = error.field
    field = target._fields.get(name) if hasattr(target, "_fields") else None
    if field is None:
        flash(str(error), "error")
    else:
        field.errors = [*field.errors, error.message]


def _failed(form: FlaskForm, error: AuthoringError, rows: list[int] | None = None) -> None:
    db.session.rollback()
    _attach(form, error, rows)


def _edited(course: Course, action: str, **details: object) -> None:
    record_audit("course.edit", target_type="course", target_id=course.code, details={"action": action, **details})


def _enum_arg(name: str, enum_type: type[CourseStatus] | type[CourseFormat]) -> Any:
    value = request.args.get(name, "")
    try:
        return enum_type(value) if value else None
    except ValueError:
        abort(400, description=_("Unknown value %(value)s for %(name)s.", value=value, name=name))


def _offset() -> int:
    value = request.form.get("offset", "")
    if value not in {"-1", "1"}:
        abort(400, description=_("offset must be -1 or 1."))
    return int(value)


def _checked(form: FlaskForm) -> None:
    if not form.validate_on_submit():
        abort(400, description=_("The form has expired; please try again."))


# --- courses -----------------------------------------------------------------------------------------------


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    filters = CourseFilter(
        q=request.args.get("q", "").strip()[:100],
        status=_enum_arg("status", CourseStatus),
        format=_enum_arg("format", CourseFormat),
        provider=request.args.get("provider", "").strip()[:255],
    )
    page = db.paginate(admin_courses_query(filters), per_page=PER_PAGE, max_per_page=PER_PAGE)
    return render_template(
        "course_admin/index.html",
        page=page,
        filters=filters,
        providers=course_providers(),
        statuses=list(CourseStatus),
        formats=list(CourseFormat),
    )


def _course_input(form: CourseForm) -> CourseInput:
    return CourseInput(
        code=form.code.data or "",
        title_th=form.title_th.data or "",
        title_en=form.title_en.data or "",
        description_th=form.description_th.data or "",
        description_en=form.description_en.data or "",
        provider=form.provider.data or "",
        format=form.format.data or "",
        hours=form.hours.data or "",
        language=form.language.data or "",
        completion_rule=form.completion_rule.data or "",
    )


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> ResponseReturnValue:
    form = CourseForm()
    if request.method == "GET":
        form.provider.data = "E-Workforce Academy"
    if form.validate_on_submit():
        try:
            course = create_course(_course_input(form))
        except AuthoringError as error:
            _failed(form, error)
        else:
            record_audit("course.create", target_type="course", target_id=course.code)
            db.session.commit()
            flash(_("Course created as a draft. Add its modules, lessons and quizzes."), "success")
            return redirect(url_for("course_admin.edit", course_id=course.id))
    status = 400 if form.is_submitted() else 200
    return render_template("course_admin/new.html", form=form), status


def _edit_page(course: Course, form: CourseForm, status: int = 200) -> ResponseReturnValue:
    standard = active_standard()
    return (
        render_template(
            "course_admin/course.html",
            course=course,
            form=form,
            module_form=ModuleForm(formdata=None),
            button=CsrfForm(),
            items={module.id: module_items(module) for module in course.modules},
            alignments=course_alignments(course),
            competencies=leaf_competencies(standard) if standard else [],
            levels=[lvl.level for lvl in standard.levels] if standard else [],
            enrolled=enrolment_count(course),
            formats=FORMATS,
        ),
        status,
    )


@bp.route("/<int:course_id>", methods=["GET", "POST"])
@admin_required
def edit(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    form = CourseForm(obj=course if request.method == "GET" else None)
    if request.method == "GET":
        form.hours.data = str(course.hours)
    if form.validate_on_submit():
        try:
            update_course(course, _course_input(form))
        except AuthoringError as error:
            _failed(form, error)
        else:
            record_audit("course.update", target_type="course", target_id=course.code)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("course_admin.edit", course_id=course.id))
    return _edit_page(course, form, 400 if form.is_submitted() else 200)


@bp.post("/<int:course_id>/status")
@admin_required
def status(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    _checked(CsrfForm())
    before = course.status
    try:
        set_course_status(course, request.form.get("status", ""))
    except AuthoringError as error:
        db.session.rollback()
        flash(_("The course cannot change status: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("course_admin.edit", course_id=course_id))
    record_audit(
        "course.status", target_type="course", target_id=course.code, details={"from": before, "to": course.status}
    )
    db.session.commit()
    flash(_("The course is now %(status)s.", status=STATUS_LABELS[course.status]), "success")
    return redirect(url_for("course_admin.edit", course_id=course_id))


@bp.post("/<int:course_id>/delete")
@admin_required
def delete(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    _checked(CsrfForm())
    code = course.code
    try:
        delete_course(course)
    except AuthoringError as error:
        db.session.rollback()
        flash(_("The course cannot be deleted: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("course_admin.edit", course_id=course_id))
    record_audit("course.delete", target_type="course", target_id=code)
    db.session.commit()
    flash(_("Course %(code)s deleted.", code=code), "success")
    return redirect(url_for("course_admin.index"))


@bp.post("/<int:course_id>/alignments")
@admin_required
def alignments(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    _checked(CsrfForm())
    wanted = {a.competency_id: AlignmentInput(a.competency, a.level) for a in course_alignments(course)}
    remove = request.form.get("remove", "")
    if remove:
        wanted.pop(int(remove) if remove.isdigit() else 0, None)
    else:
        competency = db.session.get(Competency, int(request.form.get("competency", "0") or 0))
        level = request.form.get("level", "")
        if competency is None or not level.isdigit():
            abort(400, description=_("Choose a competency and a level."))
        wanted[competency.id] = AlignmentInput(competency, int(level))
    try:
        saved = set_alignments(course, list(wanted.values()))
    except AuthoringError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("course_admin.edit", course_id=course_id) + "#alignments")
    record_audit(
        "course.alignments",
        target_type="course",
        target_id=course.code,
        details={"alignments": {a.competency.code: a.level for a in saved}},
    )
    db.session.commit()
    return redirect(url_for("course_admin.edit", course_id=course_id) + "#alignments")


@bp.get("/<int:course_id>/export.<fmt>")
@admin_required
def export(course_id: int, fmt: str) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    if fmt not in FORMATS:
        abort(404)
    try:
        text = export_course_text(course, cast(Format, fmt))
    except ExchangeError as error:
        abort(400, description=str(error))
    mimetype = "application/json" if fmt == "json" else "application/yaml"
    return Response(
        text,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={course.code}.{fmt}"},
    )


@bp.route("/import", methods=["GET", "POST"])
@admin_required
def import_() -> ResponseReturnValue:
    form = ImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or ""
        try:
            result = import_course_text(upload.read(), format_for(name))
        except ExchangeError as error:
            db.session.rollback()
            errors = error.errors
        else:
            course = result.course
            record_audit(
                "course.import",
                target_type="course",
                target_id=course.code,
                details={"file": name, "created": result.created},
            )
            db.session.commit()
            message = _("Course %(code)s imported.") if result.created else _("Course %(code)s updated from the file.")
            flash(message % {"code": course.code}, "success")
            return redirect(url_for("course_admin.edit", course_id=course.id))
    status = 400 if form.is_submitted() else 200
    return render_template("course_admin/import.html", form=form, errors=errors), status


# --- modules -----------------------------------------------------------------------------------------------


def _native_course(course: Course) -> None:
    if course.kind is not CourseKind.NATIVE:
        abort(400, description=_("The content of a cmi5 course comes from its package."))


@bp.post("/<int:course_id>/modules")
@admin_required
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
    _edited(course, "module.create", module=module.title_th)
    db.session.commit()
    return redirect(url_for("course_admin.edit", course_id=course_id) + f"#module-{module.id}")


@bp.route("/modules/<int:module_id>", methods=["GET", "POST"])
@admin_required
def module(module_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Module, module_id)
    form = ModuleForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            update_module(found, ModuleInput(form.title_th.data or "", form.title_en.data or ""))
        except AuthoringError as error:
            _failed(form, error)
        else:
            _edited(found.course, "module.update", module=found.title_th)
            db.session.commit()
            return redirect(url_for("course_admin.edit", course_id=found.course_id) + f"#module-{found.id}")
    status = 400 if form.is_submitted() else 200
    return render_template("course_admin/module.html", module=found, course=found.course, form=form), status


# --- lessons -----------------------------------------------------------------------------------------------


def _lesson_input(form: LessonForm) -> LessonInput:
    return LessonInput(
        title_th=form.title_th.data or "",
        title_en=form.title_en.data or "",
        body_th=form.body_th.data or "",
        body_en=form.body_en.data or "",
        video_url=form.video_url.data or "",
        minutes=form.minutes.data or 0,
    )


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
        _failed(form, error)
        return None
    if file is not None:
        set_lesson_file(saved, file)
    elif form.remove_file.data:
        set_lesson_file(saved, None)
    return saved


@bp.route("/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
@admin_required
def new_lesson(module_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Module, module_id)
    _native_course(found.course)
    form = LessonForm()
    if form.validate_on_submit():
        lesson = _save_lesson(form, found, None)
        if lesson is not None:
            _edited(found.course, "lesson.create", lesson=str(lesson.key))
            db.session.commit()
            flash(_("Lesson added."), "success")
            return redirect(url_for("course_admin.lesson", lesson_id=lesson.id))
    return _lesson_page(form, found, None)


@bp.route("/lessons/<int:lesson_id>", methods=["GET", "POST"])
@admin_required
def lesson(lesson_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Lesson, lesson_id)
    form = LessonForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit() and _save_lesson(form, found.module, found) is not None:
        _edited(found.module.course, "lesson.update", lesson=str(found.key))
        db.session.commit()
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
def new_quiz(module_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Module, module_id)
    _native_course(found.course)
    form = QuizForm()
    if form.validate_on_submit():
        try:
            quiz = create_quiz(found, _quiz_input(form))
        except AuthoringError as error:
            _failed(form, error)
        else:
            _edited(found.course, "quiz.create", quiz=str(quiz.key))
            db.session.commit()
            flash(_("Quiz added. Now add its questions."), "success")
            return redirect(url_for("course_admin.quiz", quiz_id=quiz.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "course_admin/quiz.html", form=form, module=found, course=found.course, quiz=None, button=CsrfForm()
    ), status


@bp.route("/quizzes/<int:quiz_id>", methods=["GET", "POST"])
@admin_required
def quiz(quiz_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Quiz, quiz_id)
    form = QuizForm(obj=found if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            update_quiz(found, _quiz_input(form))
        except AuthoringError as error:
            _failed(form, error)
        else:
            _edited(found.module.course, "quiz.update", quiz=str(found.key))
            db.session.commit()
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
def new_question(quiz_id: int) -> ResponseReturnValue:
    found = db.get_or_404(Quiz, quiz_id)
    form = QuestionForm()
    if form.validate_on_submit():
        data, rows = _question_input(form)
        try:
            question = create_question(found, data)
        except AuthoringError as error:
            _failed(form, error, rows)
        else:
            _edited(found.module.course, "question.create", question=str(question.key))
            db.session.commit()
            flash(_("Question added."), "success")
            return redirect(url_for("course_admin.quiz", quiz_id=found.id) + "#questions")
    return _question_page(form, found, None)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
@admin_required
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
            _failed(form, error, rows)
        else:
            _edited(found.quiz.module.course, "question.update", question=str(found.key))
            db.session.commit()
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
def move(kind: str, part_id: int) -> ResponseReturnValue:
    part, course, back = _part(kind, part_id)
    _checked(CsrfForm())
    offset = _offset()
    if isinstance(part, Module):
        move_module(part, offset)
    elif isinstance(part, Question):
        move_question(part, offset)
    else:
        move_item(part, offset)
    _edited(course, f"{kind}.move", offset=offset)
    db.session.commit()
    return redirect(back)


@bp.post("/<any(module, lesson, quiz, question):kind>/<int:part_id>/delete")
@admin_required
def delete_part(kind: str, part_id: int) -> ResponseReturnValue:
    part, course, back = _part(kind, part_id)
    _checked(CsrfForm())
    title = part.text_th if isinstance(part, Question) else part.title_th
    if isinstance(part, Module):
        delete_module(part)
    elif isinstance(part, Lesson):
        delete_lesson(part)
    elif isinstance(part, Quiz):
        delete_quiz(part)
    else:
        delete_question(part)
    _edited(course, f"{kind}.delete", title=title[:100])
    db.session.commit()
    flash(_("Deleted: %(title)s", title=title[:100]), "success")
    return redirect(back)
