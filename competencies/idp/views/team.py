"""The supervisor's team: each person's profile, gaps, courses, due dates and IDP; agreeing plans in bulk."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from academy.db import db
from academy.forms import CsrfForm
from academy.inputs import parse_int
from academy.org.models import Person
from academy.org.services import get_person
from academy.org.supervision import in_team, team_query
from academy.transactions import commit_on_success
from competencies.idp.models import Idp, IdpState
from competencies.idp.permissions import can_lead_team, can_transition
from competencies.idp.services.progress import TeamIdpStatus, team_idp_status
from competencies.idp.services.workflow import bulk_agree, get_idp
from competencies.idp.views.blueprint import bp, fiscal_year_arg
from competencies.services.coverage import gap_counts, person_gaps
from competencies.services.frameworks import active_standard

#: The most people the team page lists (a unit head's whole unit can be large).
TEAM_LIMIT = 500


@dataclass(frozen=True)
class Member:
    person: Person
    gaps: int
    courses_open: int
    courses_done: int
    next_due: date | None
    idp: TeamIdpStatus
    idp_id: int | None


def _lead_or_403() -> Person:
    if not can_lead_team(current_user):
        abort(403)
    return current_user.person


def course_summary(ids: list[int]) -> dict[int, tuple[int, int, date | None]]:
    """Per person: unfinished courses, completed ones, the nearest due date of the unfinished."""
    from courses.models import Enrolment, EnrolmentStatus

    if not ids:
        return {}
    done = Enrolment.status == EnrolmentStatus.COMPLETED
    rows = db.session.execute(
        select(
            Enrolment.person_id,
            func.count().filter(~done),
            func.count().filter(done),
            func.min(Enrolment.due_on).filter(~done),
        )
        .where(Enrolment.person_id.in_(ids))
        .group_by(Enrolment.person_id)
    )
    return {person_id: (open_, finished, due) for person_id, open_, finished, due in rows}


def team_members(lead: Person, fiscal_year: int, whole_unit: bool) -> list[Member]:
    people = list(db.session.scalars(team_query(lead, whole_unit).limit(TEAM_LIMIT)))
    ids = [p.id for p in people]
    framework = active_standard()
    gaps = gap_counts(people, framework) if framework is not None else {}
    courses = course_summary(ids)
    idps = team_idp_status(people, fiscal_year)
    members = []
    for person in people:
        open_, finished, due = courses.get(person.id, (0, 0, None))
        status = idps[person.id]
        dues = [d for d in (due, status.due_date if status.state not in (None, IdpState.CLOSED) else None) if d]
        members.append(
            Member(person, gaps.get(person.id, 0), open_, finished, min(dues, default=None), status, status.idp_id)
        )
    return members


@bp.get("/team")
@login_required
def team() -> ResponseReturnValue:
    lead = _lead_or_403()
    fiscal_year = fiscal_year_arg()
    whole_unit = request.args.get("whole") == "1" and lead.is_unit_head
    members = team_members(lead, fiscal_year, whole_unit)
    return render_template(
        "idp/team.html",
        lead=lead,
        members=members,
        fiscal_year=fiscal_year,
        whole_unit=whole_unit,
        limit=TEAM_LIMIT,
        submitted=sum(1 for m in members if m.idp.state is IdpState.SUBMITTED),
        form=CsrfForm(),
    )


@bp.post("/team/agree")
@login_required
@commit_on_success
def agree_all() -> ResponseReturnValue:
    _lead_or_403()
    if not CsrfForm().validate_on_submit():
        abort(400, description=_("The form has expired. Reload the page and try again."))
    ids = [value for value in (parse_int(text, 1) for text in request.form.getlist("idp")) if value]
    if not ids:
        abort(400, description=_("Choose the plans to agree."))
    idps = list(db.session.scalars(select(Idp).where(Idp.id.in_(ids))))
    if len(idps) != len(set(ids)):
        abort(404)
    for idp in idps:
        if not can_transition(current_user, idp, "agree"):
            abort(403)
    count = bulk_agree(idps, current_user.id)
    flash(ngettext("%(num)s plan was agreed.", "%(num)s plans were agreed.", count), "success")
    return redirect(url_for("idp.team", fy=request.form.get("fy") or None))


@bp.get("/team/<uuid:public_id>")
@login_required
def member(public_id: uuid.UUID) -> ResponseReturnValue:
    from courses.services.enrolment import enrolments_of

    lead = _lead_or_403()
    person = get_person(public_id, None)
    if person is None or not in_team(lead, person, whole_unit=True):
        abort(404)
    fiscal_year = fiscal_year_arg()
    framework = active_standard()
    return render_template(
        "idp/member.html",
        person=person,
        fiscal_year=fiscal_year,
        gaps=person_gaps(person, framework) if framework is not None else [],
        enrolments=enrolments_of(person),
        idp=get_idp(person, fiscal_year),
    )
