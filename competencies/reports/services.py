"""Each report as data: titled tables with chart hints, built from the analysis figures.

The pages, the CSV, the XLSX and the PDF all render the same ``Report``, so a figure is
the same wherever it is read. Nothing here counts people: the figures come from
``competencies.services.coverage`` (``coverage()`` and what builds on it).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from flask_babel import gettext as _

from academy.dates import be_year, utcnow
from academy.dates import today as platform_today
from academy.i18n import current_locale, localized
from academy.org.labels import KIND_LABELS, profile_label
from academy.org.models import Agency, AgencyKind
from competencies.models import Framework
from competencies.services.coverage import (
    CoverageRecord,
    Figures,
    PersonProgress,
    Population,
    PopulationFilter,
    coverage_by_profile,
    coverage_of_units,
    iter_people_status,
    monthly_trend,
    percent,
    rank_agencies,
    unit_people_query,
)
from competencies.services.frameworks import areas_of

#: A PDF of a people list stops here (a longer list is for CSV or XLSX).
PDF_PEOPLE_LIMIT = 2000


class ColumnKind(enum.StrEnum):
    TEXT = "text"
    COUNT = "count"
    PERCENT = "percent"
    YES_NO = "yes_no"


@dataclass(frozen=True)
class Column:
    key: str  # stable, English: the CSV header
    label: str  # in the page's language: XLSX, PDF and page headers
    kind: ColumnKind = ColumnKind.TEXT


@dataclass(frozen=True)
class Chart:
    """How a table is drawn: its ``category`` column along the axis, ``series`` columns as values."""

    kind: str  # "bar" or "line"
    series: tuple[str, ...]
    category: str = "name"
    #: A horizontal line at this value, in the series' unit (the target).
    target: Decimal | None = None
    percent: bool = True


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: Chart | None = None
    #: A spreadsheet's name for the table: short, whole words (XLSX sheet names stop at 31 characters).
    sheet: str = ""

    def index(self, key: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.key == key)

    def values(self, key: str) -> list[Any]:
        at = self.index(key)
        return [row[at] for row in self.rows]


@dataclass
class Report:
    kind: str  # "agency", "people" or "ranking"
    title: str
    fiscal_year: int
    population: PopulationFilter
    population_name: str
    agency: Agency | None
    tables: list[Table]
    summary: CoverageRecord | None = None
    #: Names of people: only for the HR officer within scope; dashboards are aggregates.
    personal_data: bool = False
    as_of: datetime = field(default_factory=utcnow)
    note: str = ""

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def filename(self) -> str:
        """A download's name without its extension, e.g. ``coverage-03003-2569-it``."""
        where = self.agency.code if self.agency else "all"
        return f"{self.kind}-{where}-{self.fiscal_year}-{self.population.label}"


# --- names in the page's language ------------------------------------------------------------------


def _thai() -> bool:
    return current_locale() == "th"


def _name(item: Any) -> str:
    """Return an object's name (``name_th`` / ``name_en``) in the page's language, else the Thai."""
    return localized(item.name_th, item.name_en)


def population_name(population: PopulationFilter) -> str:
    if population.profile is not None:
        group, level = population.profile
        return profile_label(group, level)
    return {
        Population.IT: _("IT personnel"),
        Population.ALL: _("All personnel"),
        Population.NON_IT: _("Non-IT personnel"),
    }[population.population]


def month_name(month: date) -> str:
    """e.g. "ต.ค. 2568" on Thai pages, "Oct 2025" on English ones."""
    if _thai():
        return f"{format_date(month, 'MMM', locale='th')} {be_year(month.year)}"
    return format_date(month, "MMM y", locale="en")


# --- the agency dashboard -----------------------------------------------------------------------------


def _coverage_columns(first: str) -> list[Column]:
    return [
        Column("code", _("Code")),
        Column("name", first),
        Column("headcount", _("Headcount"), ColumnKind.COUNT),
        Column("trained", _("Trained"), ColumnKind.COUNT),
        Column("coverage_percent", _("Coverage %"), ColumnKind.PERCENT),
        Column("attained", _("Meet their profile"), ColumnKind.COUNT),
        Column("attainment_percent", _("Attainment %"), ColumnKind.PERCENT),
        Column("target_percent", _("Target %"), ColumnKind.PERCENT),
    ]


def _coverage_row(code: str | None, name: str, record: CoverageRecord) -> list[Any]:
    """A row of figures; a unit with nobody in the population has no percentages ("—", not 0.00%)."""
    figures = record.figures
    empty = figures.headcount == 0
    return [
        code,
        name,
        figures.headcount,
        figures.trained,
        None if empty else record.coverage_percent,
        figures.attained,
        None if empty else record.attainment_percent,
        record.target_percent,
    ]


def _direct_record(own: CoverageRecord, units: list[CoverageRecord]) -> CoverageRecord:
    """The people placed in the agency itself, not in any unit beneath it: the agency less its units."""
    figures = Figures()
    figures.add(own.figures)
    for unit in units:
        figures.headcount -= unit.figures.headcount
        figures.trained -= unit.figures.trained
        figures.attained -= unit.figures.attained
        for code, count in unit.figures.areas.items():
            figures.areas[code] = figures.areas.get(code, 0) - count
    return replace(own, figures=figures)


def unit_rows(agency: Agency, own: CoverageRecord, units: list[CoverageRecord]) -> list[list[Any]]:
    """A row per unit, and one for the people directly under the agency, so that the rows add up to it."""
    rows = [_coverage_row(r.agency.code, _name(r.agency), r) for r in units]
    direct = _direct_record(own, units)
    if direct.figures.headcount:
        # No code: the row is not a unit of its own, and links nowhere.
        rows.append(_coverage_row(None, _("Directly under %(unit)s", unit=_name(agency)), direct))
    return rows


def agency_report(
    agency: Agency, fiscal_year: int, framework: Framework, population: PopulationFilter, today: date | None = None
) -> Report:
    """The dashboard of an agency: coverage against the target, by month, unit, profile and area."""
    today = today or platform_today()
    own, units = coverage_of_units(agency, fiscal_year, framework, population)
    target = own.target_percent
    headcount = own.figures.headcount

    summary = Table("agency", _("Coverage and attainment"), _coverage_columns(_("Agency")), [], sheet=_("Coverage"))
    summary.rows.append(_coverage_row(agency.code, _name(agency), own))

    trend = Table(
        "trend",
        _("Trained by month (cumulative)"),
        [
            Column("code", _("Month")),
            Column("name", _("Month")),
            Column("newly_trained", _("Newly trained"), ColumnKind.COUNT),
            Column("trained", _("Trained"), ColumnKind.COUNT),
            Column("coverage_percent", _("Coverage %"), ColumnKind.PERCENT),
        ],
        [],
        Chart("line", ("trained",), target=Decimal(math.ceil(headcount * target / 100)), percent=False),
        sheet=_("By month"),
    )
    for point in monthly_trend(agency, fiscal_year, population):
        future = point.month > today
        trend.rows.append(
            [
                f"{point.month:%Y-%m}",
                month_name(point.month),
                None if future else point.newly_trained,
                None if future else point.cumulative,
                None if future else percent(point.cumulative, headcount),
            ]
        )

    unit_table = Table(
        "units",
        _("Units"),
        _coverage_columns(_("Unit")),
        unit_rows(agency, own, units),
        Chart("bar", ("coverage_percent", "attainment_percent"), target=target),
        sheet=_("Units"),
    )
    profile_table = Table(
        "profiles",
        _("Role profiles"),
        _coverage_columns(_("Role profile")),
        [
            _coverage_row(p.profile.code, profile_label(p.profile.personnel_group, p.profile.role_level), p.record)
            for p in coverage_by_profile(agency, fiscal_year, framework, population)
        ],
        Chart("bar", ("coverage_percent", "attainment_percent"), target=target),
        sheet=_("Role profiles"),
    )
    area_table = Table(
        "areas",
        _("Areas of the standard"),
        [
            Column("code", _("Code")),
            Column("name", _("Area")),
            Column("headcount", _("Headcount"), ColumnKind.COUNT),
            Column("attained", _("Meet the area's requirements"), ColumnKind.COUNT),
            Column("attainment_percent", _("Attainment %"), ColumnKind.PERCENT),
        ],
        [
            [area.code, _name(area), headcount, own.figures.areas.get(area.code, 0), own.area_percent(area.code)]
            for area in areas_of(framework)
        ],
        Chart("bar", ("attainment_percent",), category="code"),
        sheet=_("Areas"),
    )
    return Report(
        kind="coverage",
        title=_name(agency),
        fiscal_year=fiscal_year,
        population=population,
        population_name=population_name(population),
        agency=agency,
        tables=[summary, trend, unit_table, profile_table, area_table, *idp_tables(agency, fiscal_year)],
        summary=own,
        as_of=own.as_of,
    )


def idp_tables(agency: Agency, fiscal_year: int) -> list[Table]:
    """The development plans of the agency and its units (all personnel), and the most planned competencies."""
    from competencies.idp.services.figures import IdpFigures, agency_idp_figures, planned_competencies

    def row(code: str, name: str, f: IdpFigures) -> list[Any]:
        return [
            code,
            name,
            f.headcount,
            f.with_plan,
            f.agreed,
            percent(f.agreed, f.headcount),
            f.goals,
            f.goals_met,
            percent(f.goals_met, f.goals),
        ]

    own, units = agency_idp_figures(agency, fiscal_year)
    plans = Table(
        "idps",
        _("Individual development plans (all personnel)"),
        [
            Column("code", _("Code")),
            Column("name", _("Unit")),
            Column("people", _("People"), ColumnKind.COUNT),
            Column("idp_with_plan", _("With a plan"), ColumnKind.COUNT),
            Column("idp_agreed", _("Agreed plans"), ColumnKind.COUNT),
            Column("idp_agreed_percent", _("Agreed %"), ColumnKind.PERCENT),
            Column("idp_goals", _("Goals"), ColumnKind.COUNT),
            Column("idp_goals_met", _("Goals met"), ColumnKind.COUNT),
            Column("idp_goals_met_percent", _("Goals met %"), ColumnKind.PERCENT),
        ],
        [row(agency.code, _name(agency), own), *(row(u.code, _name(u), f) for u, f in units)],
        Chart("bar", ("idp_agreed_percent", "idp_goals_met_percent")),
    )
    planned = Table(
        "idp_competencies",
        _("Most planned competencies"),
        [
            Column("code", _("Code")),
            Column("name", _("Competency")),
            Column("idp_goals", _("Goals"), ColumnKind.COUNT),
            Column("idp_goals_met", _("Goals met"), ColumnKind.COUNT),
            Column("idp_goals_met_percent", _("Goals met %"), ColumnKind.PERCENT),
        ],
        [
            [c.code, _name(c), goals, met, percent(met, goals)]
            for c, goals, met in planned_competencies(agency, fiscal_year)
        ],
        Chart("bar", ("idp_goals",), category="code", percent=False),
    )
    return [plans, planned]


# --- a unit's people ------------------------------------------------------------------------------------


def people_columns() -> list[Column]:
    return [
        Column("employee_no", _("Employee no.")),
        Column("name", _("Name")),
        Column("position", _("Position")),
        Column("unit", _("Unit")),
        Column("profile", _("Role profile")),
        Column("trained", _("Trained this fiscal year"), ColumnKind.YES_NO),
        Column("meets_profile", _("Meets profile"), ColumnKind.YES_NO),
        Column("gaps", _("Gaps"), ColumnKind.COUNT),
    ]


def person_row(progress: PersonProgress) -> list[Any]:
    person = progress.person
    if _thai():
        name, position = person.full_name_th, person.position_title_th
    else:
        name = person.full_name_en or person.full_name_th
        position = f"{person.position_line.name_en}, {person.position_level.name_en}"
    return [
        person.employee_no,
        name,
        position,
        _name(person.agency),
        profile_label(person.personnel_group, person.role_level),
        progress.trained,
        progress.meets_profile,
        progress.gaps,
    ]


def people_report(
    agency: Agency,
    fiscal_year: int,
    framework: Framework,
    population: PopulationFilter,
    q: str = "",
    trained: bool | None = None,
    limit: int | None = None,
) -> Report:
    """The people of an agency and its units in the population, each with their status (names included)."""
    query = unit_people_query(agency, fiscal_year, population, q=q, trained=trained)
    rows: list[list[Any]] = []
    note = ""
    for progress in iter_people_status(query, fiscal_year, framework):
        if limit is not None and len(rows) == limit:
            note = _("Only the first %(count)s people are listed; export CSV or XLSX for everyone.", count=limit)
            break
        rows.append(person_row(progress))
    return Report(
        kind="people",
        title=_name(agency),
        fiscal_year=fiscal_year,
        population=population,
        population_name=population_name(population),
        agency=agency,
        tables=[Table("people", _("People and their status"), people_columns(), rows, sheet=_("People"))],
        personal_data=True,
        note=note,
    )


# --- the academy-wide ranking -------------------------------------------------------------------------


def ranking_report(fiscal_year: int, framework: Framework, population: PopulationFilter, kind: AgencyKind) -> Report:
    """Every ministry (or department) ranked by coverage, against the target."""
    records = rank_agencies(fiscal_year, framework, population, kind)
    columns = [Column("rank", _("Rank"), ColumnKind.COUNT), *_coverage_columns(str(KIND_LABELS[kind]))]
    rows = [[rank, *_coverage_row(r.agency.code, _name(r.agency), r)] for rank, r in enumerate(records, 1)]
    target = records[0].target_percent if records else None
    table = Table(
        "ranking",
        _("Agencies ranked by coverage"),
        columns,
        rows,
        Chart("bar", ("coverage_percent",), target=target),
        sheet=_("Ranking"),
    )
    return Report(
        kind="ranking",
        title=_("Coverage ranking: %(level)s", level=str(KIND_LABELS[kind])),
        fiscal_year=fiscal_year,
        population=population,
        population_name=population_name(population),
        agency=None,
        tables=[table],
        as_of=records[0].as_of if records else utcnow(),
    )


# --- charts for the pages ----------------------------------------------------------------------------------


def chart_data(report: Report) -> dict[str, Any]:
    """What the page's charts draw (read by report-charts.js from a JSON block)."""
    charts = {}
    for table in report.tables:
        if table.chart is None or not table.rows:
            continue
        chart = table.chart
        charts[table.key] = {
            "kind": chart.kind,
            "percent": chart.percent,
            "labels": table.values(chart.category),
            "series": [
                {"label": table.columns[table.index(key)].label, "data": [_number(v) for v in table.values(key)]}
                for key in chart.series
            ],
            "target": None if chart.target is None else {"label": _("Coverage target"), "value": float(chart.target)},
        }
    data: dict[str, Any] = {"charts": charts}
    if report.summary is not None:
        data["gauges"] = {
            "coverage": {
                "value": float(report.summary.coverage_percent),
                "target": float(report.summary.target_percent),
            },
            "attainment": {
                "value": float(report.summary.attainment_percent),
                "target": float(report.summary.target_percent),
            },
            "labels": {"value": _("Reached"), "rest": _("Not yet"), "target": _("Coverage target")},
        }
    return data


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else int(value)
