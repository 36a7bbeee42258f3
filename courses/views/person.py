"""HR's page of one person: their profile, requirements against attainment, courses, evidence, transcript.

The page shows the first rows of each long list; each list has pages of its own, within the same scope.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from academy.auth.caching import no_store
from academy.auth.permissions import can_administer, people_scope
from academy.dates import today
from academy.inputs import int_arg
from academy.org.models import Person
from academy.org.services import get_person, role_profile_of
from competencies.services.frameworks import active_standard
from courses.services.person_record import (
    PER_PAGE,
    Page,
    Section,
    enrolment_page,
    evidence_courses,
    evidence_page,
    person_record,
    transcript_list,
)
from courses.views.blueprint import bp, enrolment_status_labels

SECTION_TITLES = {
    Section.ASSIGNMENTS: _l("Assignments"),
    Section.COURSES: _l("Other courses in progress"),
    Section.EVIDENCE: _l("Evidence"),
    Section.TRANSCRIPT: _l("Transcript"),
}


def _person_in_scope(public_id: uuid.UUID) -> Person:
    """The person, if the signed-in HR officer's scope holds them: 403 without a scope, 404 outside it."""
    scope = people_scope(current_user)
    if scope == []:
        abort(403)
    person = get_person(public_id, scope)
    if person is None:
        abort(404)  # another agency's people must not even be confirmed to exist
    return person


def _rows_context() -> dict[str, Any]:
    """What the rows of the person's lists look up once, not once a row."""
    return {
        "today": today(),
        "is_admin": can_administer(current_user),
        # A course's URL is this prefix and its code.
        "course_url_prefix": url_for("courses.course", code=""),
        "status_labels": enrolment_status_labels(),
    }


@bp.get("/people/<uuid:public_id>/record")
@no_store
@login_required
def person_record_page(public_id: uuid.UUID) -> ResponseReturnValue:
    person = _person_in_scope(public_id)
    framework = active_standard()
    if framework is None:
        abort(404, description=_("No skill standard is active yet."))
    every_year = request.args.get("years") == "all"
    record = person_record(person, framework, every_year=every_year)
    chart = {
        "labels": [g.competency.code for g in record.gaps],
        "required": [g.required for g in record.gaps],
        "attained": [g.attained for g in record.gaps],
        "max": max((lvl.level for lvl in framework.levels), default=4),
    }
    return render_template(
        "courses/person_record.html",
        person=person,
        role=role_profile_of(person),
        record=record,
        chart=chart,
        every_year=every_year,
        **_rows_context(),
    )


@bp.get("/people/<uuid:public_id>/record/<any(assignments, courses, evidence, transcript):section>")
@no_store
@login_required
def person_record_list(public_id: uuid.UUID, section: str) -> ResponseReturnValue:
    """One of the person page's long lists, PER_PAGE rows a page."""
    person = _person_in_scope(public_id)
    kind = Section(section)
    number = int_arg("page", 1, 1, 10**9)
    every_year = request.args.get("years") == "all"
    page: Page[Any]
    course_titles = {}
    if kind is Section.EVIDENCE:
        page = evidence_page(person, number, PER_PAGE)
        course_titles = evidence_courses(page.items)
    elif kind is Section.TRANSCRIPT:
        page = transcript_list(person, number, every_year=every_year)
    else:
        page = enrolment_page(person, kind, number, PER_PAGE)
    if number > page.pages:
        abort(404)
    return render_template(
        "courses/person_record_list.html",
        person=person,
        section=kind.value,
        title=SECTION_TITLES[kind],
        page=page,
        course_titles=course_titles,
        every_year=every_year,
        **_rows_context(),
    )
