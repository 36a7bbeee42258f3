"""The platform's day is the day in Asia/Bangkok, everywhere (issue 13): pages, PDFs, exports, defaults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient

import academy.dates
from academy.auth.models import Role, User
from academy.dates import (
    FISCAL_YEAR_MAX,
    FISCAL_YEAR_MIN,
    current_fiscal_year,
    format_be_date,
    format_be_datetime,
    parse_fiscal_year,
    today,
)
from academy.org.models import Agency, Person
from api.rest.schemas import CoverageArgs
from competencies.reports.exports import report_html
from competencies.reports.services import Report
from competencies.services.coverage import PopulationFilter

#: 20:00 on 4 Dec 2026 in UTC is 03:00 on 5 Dec 2026 (BE 2569) in Bangkok: fiscal year 2570.
EVENING_UTC = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
BANGKOK_DAY = date(2026, 12, 5)


@pytest.fixture
def bangkok_morning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Freeze the platform's clock at 2026-12-04 20:00 UTC."""
    monkeypatch.setattr(academy.dates, "_clock", lambda: EVENING_UTC)


def test_the_day_and_the_fiscal_year_are_bangkoks() -> None:
    assert today(EVENING_UTC) == BANGKOK_DAY
    assert today(EVENING_UTC - timedelta(hours=1)) == date(2026, 12, 5)  # 02:00 in Bangkok
    assert today(datetime(2026, 12, 4, 16, 59, tzinfo=UTC)) == date(2026, 12, 4)  # 23:59 in Bangkok
    assert today(EVENING_UTC.replace(tzinfo=None)) == BANGKOK_DAY  # SQLite's zoneless UTC
    assert today(EVENING_UTC.astimezone(timezone(timedelta(hours=-5)))) == BANGKOK_DAY
    # The fiscal year turns at midnight in Bangkok, seven hours before it does in UTC.
    assert current_fiscal_year(datetime(2026, 9, 30, 17, 30, tzinfo=UTC)) == 2570
    assert current_fiscal_year(datetime(2026, 9, 30, 16, 59, tzinfo=UTC)) == 2569


def test_the_frozen_clock_gives_every_default_the_bangkok_day(bangkok_morning: None) -> None:
    assert today() == BANGKOK_DAY
    assert current_fiscal_year() == 2570
    assert CoverageArgs().load({"agency": "91"})["fiscal_year"] == 2570


def test_a_moment_is_shown_on_the_day_it_falls_on_in_bangkok() -> None:
    assert format_be_date(EVENING_UTC) == "5 ธันวาคม 2569"
    assert format_be_date(EVENING_UTC, "en") == "5 December 2026"
    assert format_be_datetime(EVENING_UTC).startswith("5 ธ.ค. 2569 03:00")


def test_the_pdf_is_printed_on_the_day_its_data_is_of(app: Flask, bangkok_morning: None) -> None:
    report = Report("agency", "T", 2570, PopulationFilter(), "IT", None, [])
    with app.test_request_context("/"):
        html = report_html(report)
    assert "5 ธ.ค. 2569 03:00" in html  # data as of
    assert "พิมพ์เมื่อ 5 ธันวาคม 2569" in html  # printed on
    assert "4 ธันวาคม 2569" not in html


def test_the_home_page_shows_the_bangkok_day_and_fiscal_year(
    client: FlaskClient,
    make_agency: Callable[..., Agency],
    make_person: Callable[..., Person],
    make_user: Callable[..., User],
    login: Callable[[User], FlaskClient],
    bangkok_morning: None,
) -> None:
    login(make_user(Role.LEARNER, person=make_person(make_agency())))
    page = client.get("/").get_data(as_text=True)
    assert "ปีงบประมาณ 2570" in page and "5 ธันวาคม 2569" in page
    assert "4 ธันวาคม 2569" not in page


def test_one_fiscal_year_range_for_pages_the_api_and_the_cli(app: Flask) -> None:
    import marshmallow

    from api.gdx.cli import gdx_push_command
    from competencies.cli import coverage_target_command

    assert (FISCAL_YEAR_MIN, FISCAL_YEAR_MAX) == (2500, 2700)
    assert parse_fiscal_year("2569") == 2569
    assert parse_fiscal_year(str(FISCAL_YEAR_MAX)) == FISCAL_YEAR_MAX
    assert parse_fiscal_year(str(FISCAL_YEAR_MIN - 1)) is None and parse_fiscal_year(str(FISCAL_YEAR_MAX + 1)) is None
    assert CoverageArgs().load({"agency": "91", "fiscal_year": "2700"})["fiscal_year"] == 2700
    with pytest.raises(marshmallow.ValidationError):
        CoverageArgs().load({"agency": "91", "fiscal_year": "2701"})
    runner = app.test_cli_runner()
    for command, args in ((coverage_target_command, ["2701", "80"]), (gdx_push_command, ["--fiscal-year", "2499"])):
        result = runner.invoke(command, args)
        assert result.exit_code == 2 and "is not in the range 2500<=x<=2700" in result.output


def test_a_fiscal_year_is_named_with_its_months_on_english_pages() -> None:
    from academy.dates import format_fiscal_year

    assert format_fiscal_year(2570, "en") == "FY 2570 (Oct 2026 – Sep 2027)"
    assert format_fiscal_year(2569, "th") == "ปีงบประมาณ 2569"


def test_a_moment_can_be_shown_to_the_minute() -> None:
    assert format_be_datetime(EVENING_UTC, "th", seconds=False) == "5 ธ.ค. 2569 03:00"
    assert format_be_datetime(EVENING_UTC, "en", seconds=False) == "5 Dec 2026 03:00"


def test_training_evidence_late_on_30_september_utc_counts_in_bangkoks_next_fiscal_year() -> None:
    from academy.dates import fiscal_year_of

    moment = datetime(2026, 9, 30, 18, 0, tzinfo=UTC)  # 01:00 on 1 Oct 2026 in Bangkok: FY 2570
    assert fiscal_year_of(moment.date()) == 2569 and fiscal_year_of(today(moment)) == 2570


def test_the_date_filters_follow_the_locale_a_template_is_rendered_in(app: Flask) -> None:
    # The filters read the page's locale from the template context: a mail or a badge rendered in
    # another language inside a request (force_locale) must get that language's dates, not the page's.
    from flask import render_template_string
    from flask_babel import force_locale

    source = "{{ day|be_date('short') }} · {{ moment|be_datetime(false) }} · {{ 2570|fiscal_year }}"
    day, moment = date(2026, 1, 5), datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
    with app.test_request_context(), force_locale("th"):
        thai = render_template_string(source, day=day, moment=moment)
        with force_locale("en"):
            english = render_template_string(source, day=day, moment=moment)
        again = render_template_string(source, day=day, moment=moment)
    assert thai == again == "5 ม.ค. 2569 · 5 ม.ค. 2569 10:00 · ปีงบประมาณ 2570"
    assert english == "5 Jan 2026 · 5 Jan 2026 10:00 · FY 2570 (Oct 2026 – Sep 2027)"
