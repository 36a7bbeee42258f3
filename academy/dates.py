"""Buddhist-Era dates and the government fiscal year (1 October – 30 September)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

BE_OFFSET = 543


def be_year(year_ce: int) -> int:
    """Return the Buddhist-Era year of a Common-Era year."""
    return year_ce + BE_OFFSET


def fiscal_year_of(day: date) -> int:
    """Return the fiscal year (BE) a day falls in: it is named by the year in which it ends."""
    year_ce = day.year + 1 if day.month >= 10 else day.year
    return be_year(year_ce)


def fiscal_year_bounds(fiscal_year_be: int) -> tuple[date, date]:
    """Return the first and last day of a fiscal year given in BE (FY 2569 -> 2025-10-01..2026-09-30)."""
    end_ce = fiscal_year_be - BE_OFFSET
    return date(end_ce - 1, 10, 1), date(end_ce, 9, 30)


def format_be_date(value: date | datetime | None, locale: str = "th", style: str = "long") -> str:
    """Format a date for a page: Thai pages get Buddhist-Era years, English pages CE years.

    Babel knows Thai month names but prints CE years, so the year is added here.
    """
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    if locale != "th":
        pattern = "d MMMM y" if style == "long" else "d MMM y"
        return format_date(day, pattern, locale="en")
    pattern = "d MMMM" if style == "long" else "d MMM"
    return f"{format_date(day, pattern, locale='th')} {be_year(day.year)}"


def format_be_datetime(value: datetime | None, locale: str = "th", timezone: str = "Asia/Bangkok") -> str:
    """Format a moment in the platform's time zone: a short date (BE on Thai pages) and the time."""
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back UTC without a zone
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(timezone))
    return f"{format_be_date(local, locale, 'short')} {local:%H:%M:%S}"


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
