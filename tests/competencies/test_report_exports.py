"""Exports of the HR reports: CSV, XLSX with a chart, PDF with the Thai agency name and a BE date."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from academy.audit.models import AuditEntry
from academy.auth.models import Role, User
from academy.db import db
from competencies.models import Framework
from competencies.reports.exports import report_html
from competencies.reports.services import agency_report, people_report
from competencies.services.coverage import PopulationFilter
from tests.competencies import test_reports
from tests.competencies.test_reports import FY, MINISTRY_TH, Government

government = test_reports.government  # the fixture, shared

BE_DATE_PATTERN = r"\d{1,2} \S+ 25\d\d"  # e.g. "1 ตุลาคม 2568"


@pytest.fixture
def hr_client(
    government: Government, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> FlaskClient:
    return login(make_user(Role.HR_OFFICER, agencies=(government.ministry,)))


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, so that spreadsheet programs read Thai
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_dashboard_csv_has_the_figures(hr_client: FlaskClient) -> None:
    response = hr_client.get(f"/reports/agencies/91/export.csv?fy={FY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="coverage-91-2568-it.csv"' in response.headers["Content-Disposition"]
    rows = _csv_rows(response.data)
    [agency] = [r for r in rows if r["section"] == "agency"]
    assert agency["code"] == "91" and agency["name"] == MINISTRY_TH
    assert (agency["headcount"], agency["trained"], agency["coverage_percent"]) == ("6", "3", "50.00")
    assert (agency["attained"], agency["attainment_percent"], agency["target_percent"]) == ("1", "16.67", "60.00")
    assert {r["code"] for r in rows if r["section"] == "units"} == {"91001", "91002"}
    assert [r["trained"] for r in rows if r["section"] == "trend"] == [
        "1",
        "2",
        "2",
        "3",
        "3",
        "3",
        "3",
        "3",
        "3",
        "3",
        "3",
        "3",
    ]
    assert len([r for r in rows if r["section"] == "profiles"]) == 3
    assert len([r for r in rows if r["section"] == "areas"]) == 7
    assert {r["fiscal_year"] for r in rows} == {"2568"} and {r["population"] for r in rows} == {"it"}


def test_dashboard_exports_carry_no_names(hr_client: FlaskClient) -> None:
    for fmt in ("csv", "xlsx"):
        content = hr_client.get(f"/reports/agencies/91/export.{fmt}?fy={FY}&population=all").data
        text = content.decode("utf-8-sig") if fmt == "csv" else _xlsx_text(content)
        assert "สมชาย" not in text and "ใจดี" not in text, fmt


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)


def test_the_xlsx_opens_and_has_charts(hr_client: FlaskClient) -> None:
    response = hr_client.get(f"/reports/agencies/91/export.xlsx?fy={FY}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    cover = book.worksheets[0]
    assert any(MINISTRY_TH in str(cell) for row in cover.iter_rows(values_only=True) for cell in row)
    charts = [chart for sheet in book.worksheets for chart in sheet._charts]
    assert len(charts) == 5  # trend, units, profiles, areas, development plans (no plans: no competencies chart)
    figures = book.worksheets[1]  # the agency's own figures: code, name, headcount, trained, coverage %, ...
    first = next(figures.iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[:5] == ("91", MINISTRY_TH, 6, 3, 50.0)


def test_the_ranking_and_people_exports(
    government: Government, make_user: Callable[..., User], login: Callable[[User], FlaskClient]
) -> None:
    admin = login(make_user(Role.ADMIN))
    rows = _csv_rows(admin.get(f"/reports/ranking/export.csv?fy={FY}").data)
    assert [r["code"] for r in rows][:2] == ["92", "91"] and rows[0]["rank"] == "1"
    book = load_workbook(io.BytesIO(admin.get(f"/reports/ranking/export.xlsx?fy={FY}&kind=department").data))
    assert any(sheet._charts for sheet in book.worksheets)


def test_the_people_export_lists_names_and_is_audited(hr_client: FlaskClient) -> None:
    response = hr_client.get(f"/reports/agencies/91001/people/export.csv?fy={FY}&trained=no")
    rows = _csv_rows(response.data)
    assert {r["trained"] for r in rows} == {"no"}
    assert any("สมหญิง" in r["name"] for r in rows) and not any("สมชาย" in r["name"] for r in rows)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "report.people_export"))
    assert entry is not None and entry.target_id == "91001" and entry.details["rows"] == len(rows)
    book = load_workbook(io.BytesIO(hr_client.get(f"/reports/agencies/91001/people/export.xlsx?fy={FY}").data))
    assert any(sheet._charts for sheet in book.worksheets)
    assert "สมชาย" in _xlsx_text(hr_client.get(f"/reports/agencies/91001/people/export.xlsx?fy={FY}").data)


def test_the_pdf_is_a4_with_the_thai_name_and_a_buddhist_era_date(
    app: Flask, hr_client: FlaskClient, government: Government, standard: Framework
) -> None:
    import re

    response = hr_client.get(f"/reports/agencies/91/export.pdf?fy={FY}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    with app.test_request_context("/"):
        html = report_html(agency_report(government.ministry, FY, standard, PopulationFilter()))
    assert MINISTRY_TH in html and re.search(BE_DATE_PATTERN, html)
    assert "50.00" in html
    if shutil.which("pdftotext") and shutil.which("pdfinfo"):
        text = _pdf_text(response.data)
        assert MINISTRY_TH in text and re.search(BE_DATE_PATTERN, text) and "50.00" in text
        assert "A4" in _run(["pdfinfo", "-"], response.data)


def test_the_people_pdf_says_when_the_list_is_cut(
    app: Flask, government: Government, standard: Framework, hr_client: FlaskClient
) -> None:
    with app.test_request_context("/"):
        report = people_report(government.ministry, FY, standard, PopulationFilter(), limit=2)
        assert len(report.tables[0].rows) == 2 and report.note
        html = report_html(report)
    assert report.note in html
    pdf = hr_client.get(f"/reports/agencies/91001/people/export.pdf?fy={FY}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_unknown_export_formats_are_not_found(hr_client: FlaskClient) -> None:
    assert hr_client.get(f"/reports/agencies/91/export.docx?fy={FY}").status_code == 404


def _run(command: list[str], data: bytes) -> str:
    return subprocess.run(command, input=data, capture_output=True, check=True).stdout.decode()


def _pdf_text(data: bytes) -> str:
    return _run(["pdftotext", "-", "-"], data)


def test_text_that_looks_like_a_formula_stays_text(
    government: Government, hr_client: FlaskClient, make_person: Callable[..., object]
) -> None:
    make_person(government.department, line="K-COMP", level="K2", first_name_th="=HYPERLINK(", last_name_th="x")
    rows = _csv_rows(hr_client.get(f"/reports/agencies/91001/people/export.csv?fy={FY}").data)
    assert any(r["name"].startswith("'=HYPERLINK(") for r in rows)
    book = load_workbook(io.BytesIO(hr_client.get(f"/reports/agencies/91001/people/export.xlsx?fy={FY}").data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK(")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_large_people_export_is_queued_and_only_its_owner_downloads_it(
    app: Flask,
    hr_client: FlaskClient,
    government: Government,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re

    from jobs.models import Job, JobState
    from jobs.runner import run_job
    from tests.support.second_factor import sign_in

    monkeypatch.setitem(app.config, "ACADEMY_JOBS_EXPORT_THRESHOLD", 1)
    response = hr_client.get(f"/reports/agencies/91/people/export.csv?fy={FY}&population=all")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job = db.session.scalars(select(Job).where(Job.kind == "report_export")).one()
    assert job.scope_agency_ids == [government.ministry.id] and job.params["format"] == "csv"
    run_job(job.id)  # what a worker does (tests/jobs run real workers)
    db.session.refresh(job)
    assert job.state is JobState.SUCCEEDED and job.result is not None and job.result["rows"] >= 2
    page = hr_client.get(f"/jobs/{job.id}").get_data(as_text=True)
    link = re.search(r'href="(/jobs/\d+/download\?token=[^"]+)"', page)
    assert link is not None
    download = hr_client.get(link.group(1).replace("&amp;", "&"))
    rows = _csv_rows(download.data)
    download.close()
    assert len(rows) == job.result["rows"] and any("สมชาย" in r["name"] for r in rows)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.people_export")).one()
    assert entry.details["job"] == job.id and entry.target_id == "91"
    # An HR officer of another agency: the job, its status and its file are not found.
    other_officer = make_user(Role.HR_OFFICER, agencies=(government.other,))
    stranger = sign_in(app.test_client(), other_officer)
    assert stranger.get("/jobs/").status_code == 200
    for path in ("", "/status", link.group(1).replace("&amp;", "&").removeprefix(f"/jobs/{job.id}")):
        assert stranger.get(f"/jobs/{job.id}{path}").status_code == 404


def test_a_small_people_export_stays_immediate(hr_client: FlaskClient) -> None:
    response = hr_client.get(f"/reports/agencies/91001/people/export.csv?fy={FY}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
