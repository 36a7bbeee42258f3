"""HR's page of one person: their profile, requirements against attainment, courses, evidence, transcript."""

from __future__ import annotations

import uuid

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.auth.caching import no_store
from academy.auth.permissions import can_administer, people_scope
from academy.dates import today
from academy.org.services import get_person, role_profile_of
from competencies.services.frameworks import active_standard
from courses.services.person_record import person_record
from courses.views.blueprint import bp, enrolment_status_labels


@bp.get("/people/<uuid:public_id>/record")
@no_store
@login_required
def person_record_page(public_id: uuid.UUID) -> ResponseReturnValue:
    scope = people_scope(current_user)
    if scope == []:
        abort(403)
    person = get_person(public_id, scope)
    if person is None:
        abort(404)  # another agency's people must not even be confirmed to exist
    framework = active_standard()
    if framework is None:
        abort(404, description=_("No skill standard is active yet."))
    record = person_record(person, framework, every_year=request.args.get("years") == "all")
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
        today=today(),
        is_admin=can_administer(current_user),
        # Built once for the hundreds of enrolment rows: a course's URL is this prefix and its code.
        course_url_prefix=url_for("courses.course", code=""),
        status_labels=enrolment_status_labels(),
    )
