"""Course authoring pages for academy admins: the course list, course pages, status, alignments, import/export."""

from __future__ import annotations

from typing import Any, cast

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from academy.audit.services import record_audit
from academy.auth.permissions import admin_required
from academy.db import db
from academy.forms import CsrfForm
from academy.inputs import paginate, parse_int
from academy.transactions import commit_on_success
from competencies.models import Competency
from competencies.services.frameworks import active_standard, leaf_competencies
from courses.authoring.blueprint import bp, require_csrf, show_error
from courses.authoring_forms import STATUS_LABELS, CourseForm, ImportForm, ModuleForm
from courses.models import Course, CourseFormat, CourseStatus
from courses.services.authoring import (
    AlignmentInput,
    AuthoringError,
    CourseFilter,
    CourseInput,
    admin_courses_query,
    course_alignments,
    course_providers,
    create_course,
    delete_course,
    enrolment_count,
    module_items,
    set_alignments,
    set_course_status,
    update_course,
)
from courses.services.exchange import FORMATS, ExchangeError, Format, export_course_text, format_for, import_course_text

PER_PAGE = 25


def _enum_arg(name: str, enum_type: type[CourseStatus] | type[CourseFormat]) -> Any:
    value = request.args.get(name, "")
    try:
        return enum_type(value) if value else None
    except ValueError:
        abort(400, description=_("Unknown value %(value)s for %(name)s.", value=value, name=name))


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
    page = paginate(admin_courses_query(filters), PER_PAGE)
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
        quiz_review=bool(form.quiz_review.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@admin_required
@commit_on_success
def new() -> ResponseReturnValue:
    form = CourseForm()
    if request.method == "GET":
        form.provider.data = "E-Workforce Academy"
    if form.validate_on_submit():
        try:
            course = create_course(_course_input(form))
        except AuthoringError as error:
            show_error(form, error)
        else:
            record_audit("course.create", target_type="course", target_id=course.code)
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
@commit_on_success
def edit(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    form = CourseForm(obj=course if request.method == "GET" else None)
    if request.method == "GET":
        form.hours.data = str(course.hours)
    if form.validate_on_submit():
        try:
            update_course(course, _course_input(form))
        except AuthoringError as error:
            show_error(form, error)
        else:
            record_audit("course.update", target_type="course", target_id=course.code)
            flash(_("Saved."), "success")
            return redirect(url_for("course_admin.edit", course_id=course.id))
    return _edit_page(course, form, 400 if form.is_submitted() else 200)


@bp.post("/<int:course_id>/status")
@admin_required
@commit_on_success
def status(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    require_csrf(CsrfForm())
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
    flash(_("The course is now %(status)s.", status=STATUS_LABELS[course.status]), "success")
    return redirect(url_for("course_admin.edit", course_id=course_id))


@bp.post("/<int:course_id>/delete")
@admin_required
@commit_on_success
def delete(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    require_csrf(CsrfForm())
    code = course.code
    try:
        delete_course(course)
    except AuthoringError as error:
        db.session.rollback()
        flash(_("The course cannot be deleted: %(reason)s", reason=str(error)), "error")
        return redirect(url_for("course_admin.edit", course_id=course_id))
    record_audit("course.delete", target_type="course", target_id=code)
    flash(_("Course %(code)s deleted.", code=code), "success")
    return redirect(url_for("course_admin.index"))


@bp.post("/<int:course_id>/alignments")
@admin_required
@commit_on_success
def alignments(course_id: int) -> ResponseReturnValue:
    course = db.get_or_404(Course, course_id)
    require_csrf(CsrfForm())
    wanted = {a.competency_id: AlignmentInput(a.competency, a.level) for a in course_alignments(course)}
    remove = request.form.get("remove", "")
    if remove:
        wanted.pop(parse_int(remove) or 0, None)
    else:
        competency_id = parse_int(request.form.get("competency", ""), high=2**31 - 1)
        competency = db.session.get(Competency, competency_id) if competency_id is not None else None
        level = parse_int(request.form.get("level", ""), high=100)
        if competency is None or level is None:
            abort(400, description=_("Choose a competency and a level."))
        wanted[competency.id] = AlignmentInput(competency, level)
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
@commit_on_success
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
            message = _("Course %(code)s imported.") if result.created else _("Course %(code)s updated from the file.")
            flash(message % {"code": course.code}, "success")
            return redirect(url_for("course_admin.edit", course_id=course.id))
    status = 400 if form.is_submitted() else 200
    return render_template("course_admin/import.html", form=form, errors=errors), status
