"""HR's page for assigning a course to the untrained people of a role profile in an agency."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from academy.audit.services import record_audit
from academy.dates import current_fiscal_year, format_date_input, parse_date, parse_fiscal_year, today
from academy.db import db
from academy.forms import CsrfForm
from academy.i18n import current_locale
from academy.org.models import Person
from academy.org.services import get_agency_by_code
from academy.transactions import commit_on_success
from competencies.reports.permissions import can_see_agency, can_view_reports
from competencies.services.coverage import population_choices, population_from_label, untrained_people
from courses.services.catalogue import catalogue_query, get_course
from courses.services.enrolment import assign_course, assignments_due
from courses.views.blueprint import bp

# --- HR: assign a course ----------------------------------------------------------------------------


@bp.route("/courses/assign", methods=["GET", "POST"])
@login_required
@commit_on_success
def assign() -> ResponseReturnValue:
    """Assign a course to the untrained people of a role profile in an agency the officer may see."""
    if not can_view_reports(current_user):
        abort(403)
    args = request.form if request.method == "POST" else request.args
    # The agency field is a type-ahead: "03003" or "03003 name"; the code comes first.
    agency_text = args.get("agency", "").strip()
    agency = get_agency_by_code(agency_text.split()[0]) if agency_text else None
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
            due_on = parse_date(request.form.get("due_on", ""))
        except ValueError:
            abort(400, description=_("The due date must be a date (DD/MM/YYYY, a Buddhist-Era year on Thai pages)."))
        if due_on < today():
            abort(400, description=_("The due date must not be in the past."))
        assert untrained is not None
        ids = list(db.session.scalars(untrained.with_only_columns(Person.id).order_by(None)))
        count = assign_course(course, ids, fiscal_year, due_on, current_user)
        plans = 0
        if request.form.get("add_to_idps") == "1":
            from competencies.idp.services.workflow import add_course_to_idps

            plans = add_course_to_idps(course.id, course.activity_iri, ids, fiscal_year, due_on, current_user.id)
        record_audit(
            "course.assign",
            target_type="agency",
            target_id=agency.code,
            details={
                "course": course.code,
                "profile": population.label,
                "fiscal_year": fiscal_year,
                "people": count,
                "idps": plans,
            },
        )
        flash(ngettext("%(num)s person was assigned the course.", "%(num)s people were assigned the course.", count))
        return redirect(url_for("courses.assign", agency=agency.code, profile=population.label, course=course.code))
    first = db.session.scalars(untrained.limit(50)).all() if untrained is not None else []
    return render_template(
        "courses/assign.html",
        agency=agency,
        profiles=profiles,
        population=population,
        fiscal_year=fiscal_year,
        course=course,
        courses=db.session.scalars(catalogue_query()).all(),
        untrained_count=db.session.scalar(select(func.count()).select_from(untrained.subquery()))
        if untrained is not None
        else 0,
        untrained_first=first,
        assigned=assignments_due([p.id for p in first], fiscal_year),
        due_default=format_date_input(today() + timedelta(days=30), current_locale()),
        form=form,
    )
