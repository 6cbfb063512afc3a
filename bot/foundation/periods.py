"""Report periods typed by staff: today, week, month, 2026-11, 2026-01-01..2026-03-31 …

A period is a half-open interval [start, end) of aware datetimes in the platform's time zone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ALIASES = {
    "today": "today", "今天": "today", "今日": "today",
    "week": "week", "本周": "week",
    "month": "month", "本月": "month",
    "lastmonth": "last_month", "last-month": "last_month", "上月": "last_month",
    "year": "year", "本年": "year", "今年": "year",
}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})\s*(?:\.\.|~|至|到)\s*(\d{4}-\d{1,2}-\d{1,2})$")
MAX_DAYS = 3660
# Dates outside these years are refused: nothing was recorded then, and near the ends of what
# `datetime` holds, a day later or a time-zone shift overflows.
FIRST_YEAR, LAST_YEAR = 1970, 2999


class PeriodError(ValueError):
    """Not a period this module understands; `str(error)` is the offending text."""


class PeriodOutOfRange(PeriodError):
    """A real date, but outside FIRST_YEAR..LAST_YEAR."""


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive
    label: str

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()


def _days(first: date, last: date, tz: ZoneInfo, label: str) -> Period:
    if not (FIRST_YEAR <= first.year and last.year <= LAST_YEAR):
        raise PeriodOutOfRange(label)
    if last < first:
        raise PeriodError(label)
    if (last - first).days > MAX_DAYS:
        raise PeriodError(label)
    return Period(datetime.combine(first, time(), tz),
                  datetime.combine(last + timedelta(days=1), time(), tz), label)


def _month(year: int, month: int, tz: ZoneInfo) -> Period:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodOutOfRange(f"{year}-{month:02d}")
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return _days(first, following - timedelta(days=1), tz, f"{year}-{month:02d}")


def parse_period(text: str | None, tz: ZoneInfo, today: date, default: str = "month") -> Period:
    """Parse a period; an empty text means `default`. Raises PeriodError on anything else."""
    raw = (text or "").strip() or default
    key = ALIASES.get(raw.lower().replace(" ", ""))
    try:
        if key == "today":
            return _days(today, today, tz, today.isoformat())
        if key == "week":
            monday = today - timedelta(days=today.weekday())
            return _days(monday, monday + timedelta(days=6), tz,
                         f"{monday.isoformat()}..{(monday + timedelta(days=6)).isoformat()}")
        if key == "month":
            return _month(today.year, today.month, tz)
        if key == "last_month":
            last = today.replace(day=1) - timedelta(days=1)
            return _month(last.year, last.month, tz)
        if key == "year":
            return _days(date(today.year, 1, 1), date(today.year, 12, 31), tz, str(today.year))
        if match := _MONTH.match(raw):
            return _month(int(match[1]), int(match[2]), tz)
        if match := _RANGE.match(raw):
            first, last = date.fromisoformat(_pad(match[1])), date.fromisoformat(_pad(match[2]))
            return _days(first, last, tz, f"{first.isoformat()}..{last.isoformat()}")
        day = date.fromisoformat(_pad(raw))
        return _days(day, day, tz, day.isoformat())
    except PeriodError:
        raise
    except ValueError as exc:
        raise PeriodError(raw) from exc


def _pad(text: str) -> str:
    """`2026-1-5` → `2026-01-05` (people type dates without leading zeros)."""
    parts = text.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"
