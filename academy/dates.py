"""Buddhist-Era dates, the government fiscal year (1 October – 30 September) and the platform's day.

The platform's day is the day in Asia/Bangkok, everywhere (pages, PDFs, exports, form defaults,
the GDX push): the server's own zone is never asked, so a PDF printed at 03:00 in Bangkok is not
dated the day before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date

from academy.inputs import parse_int

BE_OFFSET = 543
#: The platform's time zone: the one in which "today" and the fiscal year are reckoned.
PLATFORM_TIMEZONE = "Asia/Bangkok"
BANGKOK = ZoneInfo(PLATFORM_TIMEZONE)
#: The fiscal years (BE) the platform accepts anywhere: pages, forms, the API and the CLI.
FISCAL_YEAR_MIN = 2500
FISCAL_YEAR_MAX = 2700


def _clock() -> datetime:
    # The one clock: a test freezes the platform's time by replacing this function.
    return datetime.now(UTC)


def utcnow() -> datetime:
    """Return the current moment in UTC (the moment the day and the fiscal year are read from)."""
    return _clock()


def today(now: datetime | None = None) -> date:
    """Return the platform's day (Asia/Bangkok) at a moment, by default now."""
    moment = now or utcnow()
    if moment.tzinfo is None:  # SQLite hands back UTC without a zone
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BANGKOK).date()


def current_fiscal_year(now: datetime | None = None) -> int:
    """Return the fiscal year (BE) of the platform's day at a moment, by default now."""
    return fiscal_year_of(today(now))


def be_year(year_ce: int) -> int:
    """Return the Buddhist-Era year of a Common-Era year."""
    return year_ce + BE_OFFSET


def fiscal_year_of(day: date) -> int:
    """Return the fiscal year (BE) a day falls in: it is named by the year in which it ends."""
    year_ce = day.year + 1 if day.month >= 10 else day.year
    return be_year(year_ce)


def parse_fiscal_year(text: str | None) -> int | None:
    """Return the fiscal year (BE) written in text, or None when it is not one the platform accepts."""
    return parse_int(text, FISCAL_YEAR_MIN, FISCAL_YEAR_MAX)


def fiscal_year_bounds(fiscal_year_be: int) -> tuple[date, date]:
    """Return the first and last day of a fiscal year given in BE (FY 2569 -> 2025-10-01..2026-09-30)."""
    end_ce = fiscal_year_be - BE_OFFSET
    return date(end_ce - 1, 10, 1), date(end_ce, 9, 30)


def format_be_date(value: date | datetime | None, locale: str = "th", style: str = "long") -> str:
    """Format a date for a page: Thai pages get Buddhist-Era years, English pages CE years.

    Babel knows Thai month names but prints CE years, so the year is added here. A moment is
    shown as the platform's day it falls on (Asia/Bangkok), as format_be_datetime shows it.
    """
    if value is None:
        return ""
    day = today(value) if isinstance(value, datetime) else value
    return _format_day(day, locale, style)


@lru_cache(maxsize=8192)
def _format_day(day: date, locale: str, style: str) -> str:
    # Cached: Babel's formatting is the slow part of a page of many dates (a transcript), and the
    # days a platform shows are few (a few years' worth) and shared by everyone.
    if locale != "th":
        pattern = "d MMMM y" if style == "long" else "d MMM y"
        return format_date(day, pattern, locale="en")
    pattern = "d MMMM" if style == "long" else "d MMM"
    return f"{format_date(day, pattern, locale='th')} {be_year(day.year)}"


def format_fiscal_year(fiscal_year_be: int, locale: str = "th") -> str:
    """Name a fiscal year: "ปีงบประมาณ 2570" on Thai pages; on English pages the BE year says its months.

    FY 2570 on an English page: "FY 2570 (Oct 2026 – Sep 2027)", so that a BE year is never taken for CE.
    """
    if locale == "th":
        return f"ปีงบประมาณ {fiscal_year_be}"
    first, last = fiscal_year_bounds(fiscal_year_be)
    return f"FY {fiscal_year_be} ({first:%b %Y} – {last:%b %Y})"


def format_be_datetime(
    value: datetime | None, locale: str = "th", timezone: str = PLATFORM_TIMEZONE, *, seconds: bool = True
) -> str:
    """Format a moment in the platform's time zone: a short date (BE on Thai pages) and the time."""
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back UTC without a zone
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(timezone))
    return (
        f"{format_be_date(local, locale, 'short')} {local:%H:%M:%S}"
        if seconds
        else (f"{format_be_date(local, locale, 'short')} {local:%H:%M}")
    )


def parse_date(text: str) -> date:
    """Parse YYYY-MM-DD or DD/MM/YYYY; a year past 2400 is read as Buddhist Era (HR files use both)."""
    text = text.strip()
    if "/" in text:
        day_s, month_s, year_s = text.split("/")
        year, month, day_n = int(year_s), int(month_s), int(day_s)
    else:
        year_s, month_s, day_s = text.split("-")
        year, month, day_n = int(year_s), int(month_s), int(day_s)
    if year > 2400:
        year -= BE_OFFSET
    return date(year, month, day_n)


def format_date_input(value: date, locale: str = "th") -> str:
    """A date as a form field holds it: DD/MM/YYYY with a Buddhist-Era year on Thai pages, else YYYY-MM-DD.

    parse_date reads both back, so a date field round-trips in either language.
    """
    if locale == "th":
        return f"{value.day:02d}/{value.month:02d}/{be_year(value.year)}"
    return value.isoformat()
