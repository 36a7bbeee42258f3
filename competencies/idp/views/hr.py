"""HR's view of an agency's plans: who has one, in which state."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from academy.inputs import paginate
from academy.org.models import Agency, Person
from academy.org.services import get_agency_by_code, subtree_condition
from competencies.idp.models import Idp, IdpState
from competencies.idp.services.figures import agency_idp_figures, planned_competencies
from competencies.idp.views.blueprint import bp, fiscal_year_arg
from competencies.reports.permissions import can_see_agency, can_view_reports

PER_PAGE = 50


@bp.get("/idp/agency/<code>")
@login_required
def agency_plans(code: str) -> ResponseReturnValue:
    if not can_view_reports(current_user):
        abort(403)
    agency = get_agency_by_code(code)
    if agency is None or not can_see_agency(current_user, agency):
        abort(404)
    fiscal_year = fiscal_year_arg()
    state = None
    if request.args.get("state"):
        try:
            state = IdpState(request.args["state"])
        except ValueError:
            abort(400, description=_("Unknown state."))
    query = (
        select(Idp)
        .join(Person, Person.id == Idp.person_id)
        .join(Agency, Agency.id == Person.agency_id)
        .where(Idp.fiscal_year == fiscal_year, subtree_condition([agency]))
        .options(joinedload(Idp.person).joinedload(Person.agency))
        .order_by(Person.last_name_th, Person.first_name_th, Idp.id)
    )
    if state is not None:
        query = query.where(Idp.state == state)
    own, units = agency_idp_figures(agency, fiscal_year)
    return render_template(
        "idp/agency.html",
        agency=agency,
        fiscal_year=fiscal_year,
        state=state,
        states=list(IdpState),
        page=paginate(query, PER_PAGE),
        figures=own,
        units=units,
        planned=planned_competencies(agency, fiscal_year),
    )
