"""The IDP blueprint, its labels and the small parsing helpers its handlers share."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from academy.dates import current_fiscal_year, parse_fiscal_year
from academy.org.labels import label
from competencies.idp.models import GoalResult, IdpState, LearningKind
from competencies.idp.permissions import can_lead_team

bp = Blueprint("idp", __name__, template_folder="../templates")

STATE_LABELS = {
    IdpState.DRAFT: _l("Draft"),
    IdpState.SUBMITTED: _l("Submitted"),
    IdpState.RETURNED: _l("Returned"),
    IdpState.AGREED: _l("Agreed"),
    IdpState.CLOSED: _l("Closed"),
}
RESULT_LABELS = {GoalResult.MET: _l("Met"), GoalResult.PARTLY_MET: _l("Partly met"), GoalResult.NOT_MET: _l("Not met")}
KIND_LABELS = {
    LearningKind.COURSE: _l("Course"),
    LearningKind.ACTIVITY: _l("Provider's activity"),
    LearningKind.ON_THE_JOB: _l("On-the-job learning"),
}
ACTION_LABELS = {
    "create": _l("Drafted"),
    "add_goal": _l("Goal added"),
    "update_goal": _l("Goal changed"),
    "remove_goal": _l("Goal removed"),
    "add_learning": _l("Learning planned"),
    "remove_learning": _l("Planned learning removed"),
    "submit": _l("Submit"),
    "withdraw": _l("Withdraw"),
    "return": _l("Return"),
    "agree": _l("Agree"),
    "close": _l("Close"),
    "assign_course": _l("Course assigned by HR"),
}


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "idp_state_label": lambda value: label(STATE_LABELS, value) if value else str(_l("No plan")),
        "idp_result_label": lambda value: label(RESULT_LABELS, value),
        "idp_kind_label": lambda value: label(KIND_LABELS, value),
        "idp_action_label": lambda value: label(ACTION_LABELS, value),
        "idp_can_lead_team": lambda: can_lead_team(current_user),
    }


def fiscal_year_arg() -> int:
    text = request.values.get("fy", "")
    if not text:
        return current_fiscal_year()
    year = parse_fiscal_year(text)
    if year is None:
        abort(400, description=_("The fiscal year must be a Buddhist-Era year such as 2569."))
    return year


def date_field(name: str, required: bool = False) -> date | None:
    text = request.form.get(name, "").strip()
    if not text:
        if required:
            abort(400, description=_("Give a date (YYYY-MM-DD)."))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, description=_("The date must be a date (YYYY-MM-DD)."))
