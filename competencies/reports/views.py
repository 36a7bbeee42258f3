"""HR report pages and their exports: agency dashboard, a unit's people, the admins' ranking."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.audit.services import record_audit
from academy.auth.caching import no_store
from academy.auth.permissions import people_scope
from academy.dates import current_fiscal_year, parse_fiscal_year
from academy.dates import today as platform_today
from academy.i18n import current_locale
from academy.inputs import paginate
from academy.org.labels import KIND_LABELS
from academy.org.models import Agency, AgencyKind
from academy.org.services import get_agency_by_code
from academy.replica import read_from_replica
from academy.transactions import commit_on_success
from competencies.models import Framework
from competencies.reports.exports import FORMATS, MEDIA_TYPES, export_report
from competencies.reports.permissions import can_rank_agencies, can_see_agency, can_view_reports, visible_lineage
from competencies.reports.services import (
    PDF_PEOPLE_LIMIT,
    agency_report,
    chart_data,
    people_columns,
    people_report,
    person_row,
    population_name,
    ranking_report,
)
from competencies.services.coverage import (
    PopulationFilter,
    count_unit_people,
    people_status,
    population_choices,
    population_from_label,
    unit_people_query,
)
from competencies.services.frameworks import active_standard
from jobs import export_threshold, queue_report_export

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="../templates")
# Every report page and export reads: from the replica when there is one (academy.replica).
bp.before_request(read_from_replica)

PER_PAGE = 50
#: The people list's columns that sort (?sort=); gaps are counted per page, not sortable.
SORTABLE_PEOPLE_COLUMNS = ("employee_no", "name", "position", "unit", "profile", "trained", "meets_profile")
#: Fiscal years offered in the filter: this one and the four before it.
YEARS_BACK = 4


# --- parsing and authorising ----------------------------------------------------------------------------


def _viewer_or_403() -> None:
    if not can_view_reports(current_user):
        abort(403)


def _agency_or_404(code: str) -> Agency:
    agency = get_agency_by_code(code)
    # 404, not 403: another agency's units must not even be confirmed to exist.
    if agency is None or not can_see_agency(current_user, agency):
        abort(404)
    return agency


def _standard_or_404() -> Framework:
    framework = active_standard()
    if framework is None:
        abort(404, description=_("No skill standard is active yet."))
    return framework


def _fiscal_year() -> int:
    value = request.args.get("fy", "")
    if not value:
        return current_fiscal_year()
    year = parse_fiscal_year(value)
    if year is None:
        abort(400, description=_("The fiscal year must be a Buddhist-Era year such as 2569."))
    return year


def _population() -> PopulationFilter:
    try:
        return population_from_label(request.args.get("population", "it"))
    except ValueError:
        abort(400, description=_("Unknown population %(value)s.", value=request.args.get("population")))


def _trained() -> bool | None:
    value = request.args.get("trained", "")
    if value not in {"", "yes", "no"}:
        abort(400, description=_("Trained must be yes, no or empty."))
    return None if not value else value == "yes"


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        abort(404)
    return fmt


def _download(content: bytes, fmt: str, filename: str) -> Response:
    return Response(
        content,
        content_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"', "Cache-Control": "no-store"},
    )


def _filter_context(fiscal_year: int, population: PopulationFilter) -> dict[str, object]:
    current = current_fiscal_year()
    return {
        "fiscal_year": fiscal_year,
        "population": population,
        "years": sorted({*range(current - YEARS_BACK, current + 1), fiscal_year}, reverse=True),
        "populations": [(p.label, population_name(p)) for p in population_choices()],
    }


# --- pages ----------------------------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """Admins start at the ranking; an HR officer of one agency at its dashboard, of several at a list."""
    _viewer_or_403()
    if can_rank_agencies(current_user):
        return redirect(url_for("reports.ranking"))
    scope = people_scope(current_user) or []
    if len(scope) == 1:
        return redirect(url_for("reports.agency", code=scope[0].code))
    return render_template("reports/index.html", agencies=sorted(scope, key=lambda a: a.path))


@bp.get("/agencies/<code>")
@login_required
def agency(code: str) -> ResponseReturnValue:
    _viewer_or_403()
    found = _agency_or_404(code)
    fiscal_year, population = _fiscal_year(), _population()
    report = agency_report(found, fiscal_year, _standard_or_404(), population)
    return render_template(
        "reports/agency.html",
        report=report,
        agency=found,
        lineage=visible_lineage(current_user, found),
        charts=chart_data(report),
        **_filter_context(fiscal_year, population),
    )


@bp.get("/agencies/<code>/people")
@no_store
@login_required
def people(code: str) -> ResponseReturnValue:
    _viewer_or_403()
    found = _agency_or_404(code)
    fiscal_year, population, trained = _fiscal_year(), _population(), _trained()
    framework = _standard_or_404()
    q = request.args.get("q", "").strip()[:100]
    sort = request.args.get("sort", "name")
    if sort.removeprefix("-") not in {*SORTABLE_PEOPLE_COLUMNS}:
        sort = "name"
    page = paginate(unit_people_query(found, fiscal_year, population, q=q, trained=trained, sort=sort), PER_PAGE)
    # Courses build on competencies: the assignments are asked for here, not imported at the top.
    from courses.services.enrolment import assignments_due

    return render_template(
        "reports/people.html",
        agency=found,
        lineage=visible_lineage(current_user, found),
        page=page,
        columns=people_columns(),
        rows=[(p.person, person_row(p)) for p in people_status(page.items, fiscal_year, framework)],
        assigned=assignments_due([p.id for p in page.items], fiscal_year),
        sort=sort,
        sortable=SORTABLE_PEOPLE_COLUMNS,
        today=platform_today(),
        q=q,
        trained=request.args.get("trained", ""),
        population_label=population_name(population),
        **_filter_context(fiscal_year, population),
    )


@bp.get("/ranking")
@login_required
def ranking() -> ResponseReturnValue:
    if not can_rank_agencies(current_user):
        abort(403)
    fiscal_year, population, kind = _fiscal_year(), _population(), _kind()
    report = ranking_report(fiscal_year, _standard_or_404(), population, kind)
    return render_template(
        "reports/ranking.html",
        report=report,
        kind=kind,
        kinds=[(k.value, KIND_LABELS[k]) for k in (AgencyKind.MINISTRY, AgencyKind.DEPARTMENT)],
        charts=chart_data(report),
        **_filter_context(fiscal_year, population),
    )


def _kind() -> AgencyKind:
    value = request.args.get("kind", AgencyKind.MINISTRY.value)
    if value not in (AgencyKind.MINISTRY.value, AgencyKind.DEPARTMENT.value):
        abort(400, description=_("Rank ministries or departments."))
    return AgencyKind(value)


# --- exports --------------------------------------------------------------------------------------------------


@bp.get("/agencies/<code>/export.<fmt>")
@login_required
def export_agency(code: str, fmt: str) -> ResponseReturnValue:
    _viewer_or_403()
    found = _agency_or_404(code)
    fmt = _format(fmt)
    report = agency_report(found, _fiscal_year(), _standard_or_404(), _population())
    return _download(export_report(report, fmt), fmt, report.filename)


@bp.get("/agencies/<code>/people/export.<fmt>")
@login_required
@commit_on_success
def export_people(code: str, fmt: str) -> ResponseReturnValue:
    _viewer_or_403()
    found = _agency_or_404(code)
    fmt = _format(fmt)
    fiscal_year, population, trained = _fiscal_year(), _population(), _trained()
    q = request.args.get("q", "").strip()[:100]
    framework = _standard_or_404()
    if count_unit_people(found, fiscal_year, population, q=q, trained=trained) > export_threshold():
        # A ministry, all personnel: queued as a job; its page gives the download link when ready.
        job = queue_report_export(
            current_user,
            found,
            {
                "agency": found.code,
                "format": fmt,
                "fiscal_year": fiscal_year,
                "population": population.label,
                "q": q,
                "trained": trained,
                "locale": current_locale(),
            },
        )
        return redirect(url_for("jobs.show", job_id=job.id))
    report = people_report(
        found,
        fiscal_year,
        framework,
        population,
        q=q,
        trained=trained,
        limit=PDF_PEOPLE_LIMIT if fmt == "pdf" else None,
    )
    content = export_report(report, fmt)
    # A list of names leaving the platform: who took it, of whom, is on record.
    record_audit(
        "report.people_export",
        target_type="agency",
        target_id=found.code,
        details={
            "format": fmt,
            "fiscal_year": fiscal_year,
            "population": population.label,
            "q": q,
            "trained": request.args.get("trained", ""),
            "rows": len(report.tables[0].rows),
        },
    )
    return _download(content, fmt, report.filename)


@bp.get("/ranking/export.<fmt>")
@login_required
def export_ranking(fmt: str) -> ResponseReturnValue:
    if not can_rank_agencies(current_user):
        abort(403)
    fmt = _format(fmt)
    report = ranking_report(_fiscal_year(), _standard_or_404(), _population(), _kind())
    return _download(export_report(report, fmt), fmt, report.filename)
