"""Pages: a learner's competencies and self-assessment; admins' frameworks, matrix and alignments."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.db import db
from academy.forms import CsrfForm
from academy.inputs import parse_int
from academy.org.services import get_agency_by_code
from academy.transactions import commit_on_success
from competencies.events import announce_requirements_changed
from competencies.models import Alignment, Competency, Framework, FrameworkStatus
from competencies.permissions import can_edit_frameworks, has_own_competencies
from competencies.services.alignments import (
    AlignmentError,
    courses_by_activity,
    grantable_clients,
    save_alignment,
    statement_evidence,
)
from competencies.services.coverage import person_gaps
from competencies.services.evidence import record_self_assessment, self_assessments_of
from competencies.services.frameworks import (
    FrameworkError,
    active_standard,
    agency_profiles,
    areas_of,
    competencies_by_id,
    copy_profiles_for_agency,
    default_profiles,
    leaf_competencies,
    list_frameworks,
    profile_for,
    set_requirement,
)
from lrs import IGNORED_LABELS

bp = Blueprint("competencies", __name__, template_folder="templates")

FRAMEWORK_STATUS_LABELS = {
    FrameworkStatus.DRAFT: _l("draft"),
    FrameworkStatus.ACTIVE: _l("active"),
    FrameworkStatus.RETIRED: _l("retired"),
}


@bp.context_processor
def _framework_status() -> dict[str, object]:
    return {"framework_status": lambda value: str(FRAMEWORK_STATUS_LABELS.get(value, value))}


def _standard_or_404() -> Framework:
    framework = active_standard()
    if framework is None:
        abort(404, description=_("No skill standard is active yet."))
    return framework


def _int_field(name: str, low: int, high: int) -> int:
    value = parse_int(request.form.get(name, ""), low, high)
    if value is None:
        abort(
            400,
            description=_("%(name)s must be a whole number from %(low)s to %(high)s.", name=name, low=low, high=high),
        )
    return value


# --- the learner's page ---------------------------------------------------------------------------


@bp.route("/me/competencies", methods=["GET", "POST"])
@login_required
@commit_on_success
def mine() -> ResponseReturnValue:
    if not has_own_competencies(current_user):
        abort(403)
    framework = _standard_or_404()
    person = current_user.person
    form = CsrfForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        competency = db.session.get(Competency, _int_field("competency", 1, 2**31))
        if competency is None or competency.framework_id != framework.id or competency.is_area:
            abort(400, description=_("Choose a competency of the standard."))
        level = _int_field("level", 1, max(lvl.level for lvl in framework.levels))
        record_self_assessment(person.id, competency.id, level)
        record_audit(
            "competency.self_assessment", target_type="competency", target_id=competency.code, details={"level": level}
        )
        flash(_("Your self-assessment is recorded."), "success")
        return redirect(url_for("competencies.mine", competency=competency.id, _anchor="assess"))
    gaps = person_gaps(person, framework)
    chart = {
        "labels": [g.competency.code for g in gaps],
        "required": [g.required for g in gaps],
        "attained": [g.attained for g in gaps],
        "max": max((lvl.level for lvl in framework.levels), default=4),
    }
    return render_template(
        "competencies/mine.html",
        framework=framework,
        person=person,
        gaps=gaps,
        chart=chart,
        profile=profile_for(person, framework),
        form=form,
        competencies=leaf_competencies(framework),
        assessed=self_assessments_of(person.id),
        chosen=request.args.get("competency", type=int),
    )


# --- admins: frameworks and the requirement matrix ---------------------------------------------------


def _admin_only() -> None:
    if not can_edit_frameworks(current_user):
        abort(403)


@bp.get("/admin/frameworks")
@login_required
def frameworks() -> ResponseReturnValue:
    _admin_only()
    return render_template("competencies/frameworks.html", frameworks=list_frameworks())


@bp.route("/admin/frameworks/<int:framework_id>", methods=["GET", "POST"])
@login_required
@commit_on_success
def framework(framework_id: int) -> ResponseReturnValue:
    _admin_only()
    found = db.get_or_404(Framework, framework_id)
    # ?agency=CODE edits that agency's own profiles (raised bars) instead of the defaults.
    agency = None
    if request.args.get("agency"):
        agency = get_agency_by_code(request.args["agency"].strip())
        if agency is None:
            abort(404, description=_("No agency has the code %(code)s.", code=request.args["agency"]))
    profiles = default_profiles(found) if agency is None else agency_profiles(found, agency)
    form = CsrfForm()
    if request.method == "POST" and agency is not None and "create_agency_profiles" in request.form:
        if not form.validate_on_submit():
            abort(400)
        made = [p.code for p in copy_profiles_for_agency(found, agency)]
        record_audit(
            "framework.agency_profiles",
            target_type="agency",
            target_id=agency.code,
            details={"framework": found.code, "profiles": made},
        )
        return redirect(url_for("competencies.framework", framework_id=found.id, agency=agency.code))
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        top = max((lvl.level for lvl in found.levels), default=0)
        changes = []
        by_id = competencies_by_id(found)
        for profile in profiles:
            current = {r.competency_id: r.required_level for r in profile.requirements}
            for competency in leaf_competencies(found):
                field = f"req-{profile.id}-{competency.id}"
                if field not in request.form:
                    continue
                level = _int_field(field, 0, top)
                if level != current.get(competency.id, 0):
                    try:
                        set_requirement(profile, by_id[competency.id], level)
                    except FrameworkError as error:
                        abort(400, description=str(error))
                    changes.append(
                        {
                            "profile": profile.code,
                            "competency": competency.code,
                            "from": current.get(competency.id, 0),
                            "to": level,
                        }
                    )
        if changes:
            # Whoever holds a changed profile may now meet it, or no longer.
            changed = [p for p in profiles if p.code in {c["profile"] for c in changes}]
            announce_requirements_changed((p.personnel_group, p.role_level) for p in changed)
            record_audit(
                "framework.requirements", target_type="framework", target_id=found.code, details={"changes": changes}
            )
        flash(_("%(count)s requirements changed.", count=len(changes)), "success")
        return redirect(
            url_for("competencies.framework", framework_id=found.id, agency=agency.code if agency else None)
        )
    matrix = {(r.profile_id, r.competency_id): r.required_level for p in profiles for r in p.requirements}
    return render_template(
        "competencies/framework.html",
        framework=found,
        agency=agency,
        areas=areas_of(found),
        profiles=profiles,
        matrix=matrix,
        form=form,
    )


@bp.route("/admin/alignments", methods=["GET", "POST"])
@login_required
@commit_on_success
def alignments() -> ResponseReturnValue:
    _admin_only()
    framework = _standard_or_404()
    form = CsrfForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if request.form.get("delete"):
            alignment = db.get_or_404(Alignment, _int_field("delete", 1, 2**31))
            if request.form.get("confirmed") != "yes":  # asked first, on the page itself
                return redirect(url_for("competencies.alignments", remove=alignment.id))
            db.session.delete(alignment)
            record_audit("alignment.delete", target_type="alignment", target_id=alignment.activity_id)
        else:
            activity_id = request.form.get("activity_id", "").strip()
            if not activity_id or ":" not in activity_id or len(activity_id) > 2048:
                abort(
                    400,
                    description=_("The activity id must be an absolute IRI, e.g. https://provider.example/course/1."),
                )
            competency = db.session.get(Competency, _int_field("competency", 1, 2**31))
            if competency is None or competency.framework_id != framework.id or competency.is_area:
                abort(400, description=_("Choose a competency of the standard."))
            level = _int_field("level", 1, max(lvl.level for lvl in framework.levels))
            owner = _int_field("owner", 1, 2**31) if request.form.get("owner") else None
            try:
                save_alignment(activity_id, competency, level, owner)
            except AlignmentError as error:
                abort(400, description=str(error))
            record_audit(
                "alignment.save",
                target_type="alignment",
                target_id=activity_id,
                details={"competency": competency.code, "level": level, "owner_client_id": owner},
            )
        return redirect(url_for("competencies.alignments"))
    rows = db.session.scalars(
        select(Alignment).join(Alignment.competency).order_by(Alignment.activity_id, Competency.sort_order)
    ).all()
    clients = grantable_clients()
    remove = parse_int(request.args.get("remove", ""), 1, 2**31)
    return render_template(
        "competencies/alignments.html",
        framework=framework,
        alignments=rows,
        courses=courses_by_activity(a.activity_id for a in rows),
        removing=db.session.get(Alignment, remove) if remove else None,
        form=form,
        competencies=leaf_competencies(framework),
        clients=clients,
        client_names={c.id: c.name for c in clients},
    )


@bp.get("/admin/statements")
@no_store
@login_required
def statement_page() -> ResponseReturnValue:
    _admin_only()
    text = request.args.get("id", "").strip()
    try:
        statement_id = uuid.UUID(text)
    except ValueError:
        abort(400, description=_("Give a statement id (a UUID)."))
    found = statement_evidence(statement_id)
    if found is None:
        abort(404, description=_("No statement has this id."))
    return render_template("competencies/statement.html", found=found, labels=IGNORED_LABELS)
