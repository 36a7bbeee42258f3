"""A report as CSV, XLSX (with native charts) or PDF (A4, Sarabun, Buddhist-Era dates)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from academy.i18n import current_locale
from academy.pdf import render_pdf
from competencies.reports.services import Column, ColumnKind, Report, Table

FORMATS = ("csv", "xlsx", "pdf")
#: Full Content-Type values (given as ``content_type``: Flask adds a charset to a text ``mimetype`` again).
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def export_report(report: Report, fmt: str) -> bytes:
    """The report in one of ``FORMATS``."""
    if fmt == "csv":
        return report_csv(report)
    if fmt == "xlsx":
        return report_xlsx(report)
    if fmt == "pdf":
        return report_pdf(report)
    raise ValueError(f"unknown export format {fmt!r}")


# --- CSV ---------------------------------------------------------------------------------------------


#: Text starting with these is a formula to a spreadsheet program (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # shown as text, never run
    return str(value)


def report_csv(report: Report) -> bytes:
    """One table of every section: each row names its section; columns by their stable keys.

    The header is English keys (fiscal_year, population, section, code, name, headcount,
    trained, coverage_percent, ...) so that the file reads the same in any language; the
    byte-order mark lets spreadsheet programs read the Thai names.
    """
    keys: list[str] = []
    for table in report.tables:
        keys += [c.key for c in table.columns if c.key not in keys]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["fiscal_year", "population", "section", *keys])
    for table in report.tables:
        at = {c.key: i for i, c in enumerate(table.columns)}
        for row in table.rows:
            writer.writerow(
                [
                    report.fiscal_year,
                    report.population.label,
                    table.key,
                    *(_csv_value(row[at[k]]) if k in at else "" for k in keys),
                ]
            )
    return out.getvalue().encode("utf-8-sig")


# --- XLSX ----------------------------------------------------------------------------------------------


#: Excel's longest sheet name.
SHEET_NAME_MAX = 31


def _sheet_title(title: str, taken: set[str]) -> str:
    """A unique sheet name from a title, cut (if it must be) at a space, never inside a word."""
    clean = " ".join("".join(ch for ch in title if ch not in "[]:*?/\\").split()) or "Sheet"
    if len(clean) > SHEET_NAME_MAX:
        cut = clean[: SHEET_NAME_MAX + 1].rsplit(" ", 1)[0]
        clean = cut if cut and len(cut) <= SHEET_NAME_MAX else clean[:SHEET_NAME_MAX]
    name, n = clean, 1
    while name in taken:
        n += 1
        suffix = f" {n}"
        name = f"{clean[: SHEET_NAME_MAX - len(suffix)]}{suffix}"
    taken.add(name)
    return name


def _cell(sheet: WriteOnlyWorksheet, value: Any, column: Column | None = None, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, bool):
        value = _("Yes") if value else _("No")
    elif isinstance(value, Decimal):
        value = float(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # openpyxl would store it as a formula: names and codes are text
    if column is not None and column.kind is ColumnKind.PERCENT:
        cell.number_format = "0.00"
    elif column is not None and column.kind is ColumnKind.COUNT:
        cell.number_format = "#,##0"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _cover_sheet(book: Workbook, report: Report, taken: set[str]) -> None:
    sheet = book.create_sheet(_sheet_title(_("Report"), taken))
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    sheet.append([_cell(sheet, report.title, bold=True)])
    if report.agency is not None:
        sheet.append([_("Agency"), f"{report.agency.code} {report.agency.name_th}"])
        sheet.append(["", report.agency.name_en])
    sheet.append([_("Fiscal year"), report.fiscal_year])
    sheet.append([_("Population"), report.population_name])
    sheet.append([_("As of"), _be_moment(report)])
    if report.note:
        sheet.append([_("Note"), report.note])
    if report.personal_data:
        sheet.append([_("Personal data"), _("Contains personal data: for the HR officer's use within their scope.")])


def _table_sheet(book: Workbook, table: Table, taken: set[str]) -> None:
    sheet = book.create_sheet(_sheet_title(table.sheet or table.title, taken))
    for index, column in enumerate(table.columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = 40 if column.key == "name" else 14
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, column.label, bold=True) for column in table.columns])
    yes_no = {True: _("Yes"), False: _("No")}  # translated once, not per cell
    for row in table.rows:
        sheet.append(
            [
                _cell(sheet, yes_no[value] if isinstance(value, bool) else value, column)
                for value, column in zip(row, table.columns, strict=True)
            ]
        )
    if table.chart is not None and table.rows:
        sheet.add_chart(_chart(sheet, table), f"{get_column_letter(len(table.columns) + 2)}2")


def _chart(sheet: WriteOnlyWorksheet, table: Table) -> BarChart | LineChart:
    """A native chart of the table's series; coverage tables draw their target column as a line."""
    spec = table.chart
    assert spec is not None
    last = len(table.rows) + 1
    chart: BarChart | LineChart = BarChart() if spec.kind == "bar" else LineChart()
    chart.title = table.title
    chart.height, chart.width = 9, max(16, min(40, len(table.rows) * 1.2))
    for key in spec.series:
        col = table.index(key) + 1
        chart.add_data(Reference(sheet, min_col=col, min_row=1, max_row=last), titles_from_data=True)
    categories = Reference(sheet, min_col=table.index(spec.category) + 1, min_row=2, max_row=last)
    chart.set_categories(categories)
    chart.y_axis.title = "%" if spec.percent else _("People")
    if spec.target is not None and any(c.key == "target_percent" for c in table.columns):
        target = LineChart()
        target.add_data(
            Reference(sheet, min_col=table.index("target_percent") + 1, min_row=1, max_row=last), titles_from_data=True
        )
        target.set_categories(categories)
        chart += target
    return chart


def report_xlsx(report: Report) -> bytes:
    """A workbook: a cover sheet (agency, fiscal year, population, date), then a sheet per table with its chart."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    _cover_sheet(book, report, taken)
    for table in report.tables:
        _table_sheet(book, table, taken)
    if report.personal_data:
        _status_summary_sheet(book, report, taken)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _status_summary_sheet(book: Workbook, report: Report, taken: set[str]) -> None:
    """For a people list: how many are trained and meet their profile, with a chart."""
    table = report.tables[0]
    sheet = book.create_sheet(_sheet_title(_("Summary"), taken))
    sheet.column_dimensions["A"].width = 30
    sheet.append(
        [_cell(sheet, _("Status"), bold=True), _cell(sheet, _("Yes"), bold=True), _cell(sheet, _("No"), bold=True)]
    )
    for key in ("trained", "meets_profile"):
        values = table.values(key)
        label = table.columns[table.index(key)].label
        sheet.append([label, sum(1 for v in values if v), sum(1 for v in values if not v)])
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    chart.title = _("People and their status")
    chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=3), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=3))
    sheet.add_chart(chart, "E2")


# --- PDF ------------------------------------------------------------------------------------------------


def _be_moment(report: Report) -> str:
    from flask import current_app

    from academy.dates import format_be_datetime

    return format_be_datetime(
        report.as_of, current_locale(), current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Bangkok")
    )


def report_html(report: Report) -> str:
    """The HTML the PDF is printed from (no script; bars drawn with CSS)."""

    from academy.dates import be_year, format_be_date, today

    locale = current_locale()
    day = today()
    printed = format_be_date(day, locale)
    if locale != "th":
        printed += f" (B.E. {be_year(day.year)})"
    return render_template(
        "reports/pdf.html", report=report, printed=printed, as_of=_be_moment(report), ColumnKind=ColumnKind
    )


def report_pdf(report: Report) -> bytes:
    return render_pdf(report_html(report), title=f"{report.title} · {report.population_name} · {report.fiscal_year}")
