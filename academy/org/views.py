"""Agency tree, people list and person page, within the viewer's scope."""

from __future__ import annotations

import uuid
from typing import TypeVar

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.permissions import admin_required, can_administer, people_scope
from academy.db import db
from academy.i18n import current_locale
from academy.inputs import paginate, parse_int
from academy.org.events import announce_people_changed
from academy.org.importer import template_csv
from academy.org.models import Agency, PersonnelGroup, PersonStatus, RoleLevel
from academy.org.services import (
    PEOPLE_SORTS,
    PeopleFilter,
    agency_tree_matching,
    get_agency_by_code,
    get_person,
    list_position_lines,
    people_query,
    role_profile_of,
    search_agencies,
    set_role_profile_override,
)
from academy.transactions import commit_on_success

E = TypeVar("E", PersonnelGroup, PersonStatus)

bp = Blueprint("org", __name__, template_folder="templates")

PER_PAGE = 50


def _scope_or_403() -> list[Agency] | None:
    scope = people_scope(current_user)
    if scope == []:
        abort(403)
    return scope


def _int_arg(name: str) -> int | None:
    return parse_int(request.args.get(name, ""))


def _enum_arg(name: str, enum_type: type[E]) -> E | None:
    value = request.args.get(name, "")
    try:
        return enum_type(value) if value else None
    except ValueError:
        abort(400, description=_("Unknown value %(value)s for %(name)s.", value=value, name=name))


def _agency_arg(scope: list[Agency] | None) -> Agency | None:
    """The agency an ``agency_code`` field names ("03003" or "03003 name" from the type-ahead)."""
    text = request.args.get("agency_code", "").strip()
    return _within(get_agency_by_code(text.split()[0]) if text else None, scope)


def _within(agency: Agency | None, scope: list[Agency] | None) -> Agency | None:
    """The agency if the viewer may see it, else None (another agency's name is not shown)."""
    if agency is None or scope is None or any(agency.path.startswith(root.path) for root in scope):
        return agency
    return None


def _agency_text(agency: Agency | None) -> str:
    if agency is None:
        return ""
    return f"{agency.code} {agency.name_th if current_locale() == 'th' else agency.name_en}"


def _sort_arg() -> str:
    value = request.args.get("sort", "name")
    return value if value.removeprefix("-") in PEOPLE_SORTS else "name"


@bp.get("/agencies")
@login_required
def agencies() -> ResponseReturnValue:
    scope = _scope_or_403()
    q = request.args.get("q", "").strip()[:100]
    found = agency_tree_matching(q, scope)
    children: dict[int | None, list[Agency]] = {}
    ids = {a.id for a in found}
    for agency in found:  # roots: the top of what the viewer sees (their own agencies, or the ministries)
        children.setdefault(agency.parent_id if agency.parent_id in ids else None, []).append(agency)
    return render_template("org/agencies.html", children=children, q=q, count=len(found))


@bp.get("/agencies/search.json")
@login_required
def agency_search() -> ResponseReturnValue:
    """The type-ahead of agency fields: up to 20 agencies within the viewer's scope matching ``q``."""
    scope = _scope_or_403()
    q = request.args.get("q", "").strip()[:100]
    found = search_agencies(q, scope) if q else []
    return jsonify(
        [{"id": a.id, "code": a.code, "name": a.name_th if current_locale() == "th" else a.name_en} for a in found]
    )


@bp.get("/people")
@no_store
@login_required
def people() -> ResponseReturnValue:
    scope = _scope_or_403()
    chosen = _agency_arg(scope)
    filters = PeopleFilter(
        q=request.args.get("q", "").strip()[:100],
        agency_id=chosen.id if chosen else (0 if request.args.get("agency_code", "").strip() else _int_arg("agency")),
        position_line_id=_int_arg("line"),
        personnel_group=_enum_arg("group", PersonnelGroup),
        status=_enum_arg("status", PersonStatus),
        sort=_sort_arg(),
    )
    page = paginate(people_query(filters, scope), PER_PAGE)
    return render_template(
        "org/people.html",
        page=page,
        filters=filters,
        agency_text=_agency_text(chosen or _within(db.session.get(Agency, filters.agency_id or 0), scope)),
        lines=list_position_lines(),
        groups=list(PersonnelGroup),
        statuses=list(PersonStatus),
    )


@bp.get("/people/search.json")
@login_required
def people_search() -> ResponseReturnValue:
    """The person picker's type-ahead: up to 20 people within scope, as "agency:employee_no" and name."""
    scope = _scope_or_403()
    q = request.args.get("q", "").strip()[:100]
    found = db.session.scalars(people_query(PeopleFilter(q=q), scope).limit(20)).all() if q else []
    return jsonify(
        [
            {
                "code": f"{p.agency.code}:{p.employee_no}",
                "name": p.full_name_th if current_locale() == "th" else p.full_name_en or p.full_name_th,
            }
            for p in found
        ]
    )


@bp.get("/people/<uuid:public_id>")
@no_store
@login_required
def person(public_id: uuid.UUID) -> ResponseReturnValue:
    scope = _scope_or_403()
    found = get_person(public_id, scope)
    if found is None:
        # 404, not 403: another agency's people must not even be confirmed to exist.
        abort(404)
    return render_template(
        "org/person.html",
        person=found,
        profile=role_profile_of(found),
        groups=list(PersonnelGroup),
        levels=list(RoleLevel),
        can_override=can_administer(current_user),
    )


@bp.post("/people/<uuid:public_id>/role-profile")
@admin_required
@commit_on_success
def override_role_profile(public_id: uuid.UUID) -> ResponseReturnValue:
    found = get_person(public_id, None) or abort(404)
    try:
        group = PersonnelGroup(request.form["group"]) if request.form.get("group") else None
        level = RoleLevel(request.form["level"]) if request.form.get("level") else None
    except ValueError:
        abort(400, description=_("Unknown role profile."))
    before = role_profile_of(found).code
    profile = set_role_profile_override(found, group, level)
    announce_people_changed([found.id])  # another profile: other requirements to meet
    record_audit(
        "person.role_profile_override",
        target_type="person",
        target_id=found.public_id,
        details={"before": before, "after": profile.code, "group": group, "level": level},
    )
    flash(_("Role profile saved."), "success")
    return redirect(url_for("org.person", public_id=public_id))


@bp.post("/people/<uuid:public_id>/supervisor")
@login_required
@commit_on_success
def set_supervisor_page(public_id: uuid.UUID) -> ResponseReturnValue:
    """HR sets the person's own supervisor (by employee number, in the agency or one above) and the unit-head flag."""
    from academy.org.supervision import SupervisionError, find_supervisor, set_supervisor, set_unit_head

    scope = _scope_or_403()
    found = get_person(public_id, scope) or abort(404)
    number = request.form.get("supervisor_employee_no", "").strip()[:30]
    supervisor = None
    if number:
        supervisor = find_supervisor(found.agency, number)
        if supervisor is None or get_person(supervisor.public_id, scope) is None:
            abort(400, description=_("No one in the agency has the employee number %(number)s.", number=number))
    before = found.supervisor.employee_no if found.supervisor else None
    try:
        set_supervisor(found, supervisor)
    except SupervisionError:
        abort(400, description=_("A person cannot supervise themself, directly or through others."))
    set_unit_head(found, request.form.get("is_unit_head") == "1")
    record_audit(
        "person.supervisor",
        target_type="person",
        target_id=found.public_id,
        details={"before": before, "after": number or None, "is_unit_head": found.is_unit_head},
    )
    flash(_("Supervisor saved."), "success")
    return redirect(url_for("org.person", public_id=public_id))


@bp.get("/people/import-template.csv")
@login_required
def import_template() -> ResponseReturnValue:
    _scope_or_403()
    return Response(
        template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=people-import-template.csv"},
    )
