"""The audit log, for academy admins."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from academy.audit.services import audit_query
from academy.auth.permissions import can_administer
from academy.inputs import paginate

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.get("/admin/audit")
@login_required
def log() -> ResponseReturnValue:
    if not can_administer(current_user):
        abort(403)
    action = request.args.get("action", "").strip()[:64]
    actor = request.args.get("actor", "").strip()[:255]
    page = paginate(audit_query(action, actor), 50)
    return render_template("audit/log.html", page=page, action=action, actor=actor)
