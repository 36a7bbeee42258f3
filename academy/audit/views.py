"""The audit log, for academy admins."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from academy.audit.services import audit_query
from academy.auth.permissions import admin_required
from academy.inputs import paginate

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.get("/admin/audit")
@admin_required
def log() -> ResponseReturnValue:
    action = request.args.get("action", "").strip()[:64]
    actor = request.args.get("actor", "").strip()[:255]
    page = paginate(audit_query(action, actor), 50)
    return render_template("audit/log.html", page=page, action=action, actor=actor)
