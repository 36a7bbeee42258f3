"""The learner's pages: dashboard, catalogue, a course's page and enrolling in it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from academy.audit.services import record_audit
from academy.dates import today
from academy.db import db
from academy.forms import CsrfForm
from academy.inputs import paginate, parse_int
from academy.org.models import Person
from academy.org.services import role_profile_of
from academy.transactions import commit_on_success
from competencies.services.coverage import person_gaps
from competencies.services.frameworks import areas_of
from courses.models import CourseFormat, CourseKind, Enrolment, EnrolmentStatus, ItemProgress
from courses.services.catalogue import (
    CatalogueFilter,
    catalogue_providers,
    catalogue_query,
    course_alignments,
    course_items,
    rank_courses_for_gaps,
)
from courses.services.enrolment import DUE_SOON, EnrolmentError, enrol, enrolment_of, enrolments_of, last_touched
from courses.views.blueprint import _locale, _published_course, _standard, bp, learner_required

PER_PAGE = 12

# --- dashboard ------------------------------------------------------------------------------------


@bp.get("/learn")
@learner_required
def dashboard() -> ResponseReturnValue:
    person: Person = current_user.person
    # What the page shows of the person and what their profile is found by (the agency's path): one query.
    db.session.execute(
        select(Person)
        .where(Person.id == person.id)
        .options(joinedload(Person.agency), joinedload(Person.position_line), joinedload(Person.position_level))
    ).one()
    framework = _standard()
    gaps = person_gaps(person, framework) if framework else []
    enrolments = enrolments_of(person)
    recommendations = rank_courses_for_gaps(
        [g for g in gaps if g.gap],
        limit=6,
        exclude=[e.course_id for e in enrolments if e.status is EnrolmentStatus.COMPLETED],
    )
    day = today()
    return render_template(
        "courses/dashboard.html",
        person=person,
        profile=role_profile_of(person),
        framework=framework,
        met=sum(1 for g in gaps if not g.gap),
        required=len(gaps),
        open_gaps=sorted((g for g in gaps if g.gap), key=lambda g: -g.gap)[:3],
        enrolments=enrolments,
        enrolled={e.course_id: e for e in enrolments},
        resume=last_touched(enrolments),
        recommendations=recommendations,
        today=day,
        due_soon=day + DUE_SOON,
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
    framework = _standard(levels=True)
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


@bp.get("/courses/<code>")
@login_required
def course(code: str) -> ResponseReturnValue:
    course = _published_course(code, lesson_content=False)  # the page lists the lessons by title
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
