"""Working time: weekdays, working hours, public holidays and make-up working days (调休).

Service-level targets and the durations in reports are counted in working time, in the
platform's time zone. All datetimes in and out are timezone-aware.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .i18n import t
from .settings import CalendarSettings, parse_hours

MAX_DAYS = 3660  # a target further than ten years of calendar away is a configuration error
COVERAGE_DAYS = 30  # staff are warned when the holidays of the next this many days are unknown


class WorkCalendar:
    def __init__(self, settings: CalendarSettings) -> None:
        self.tz = ZoneInfo(settings.timezone)
        self.workdays = set(settings.workdays)
        self.hours = parse_hours(settings.hours)
        self.holidays = set(settings.holidays)
        self.makeup_workdays = set(settings.makeup_workdays)

    def uncovered_years(self, today: date, days: int = COVERAGE_DAYS) -> list[int]:
        """Years of the next `days` days without any configured public holiday: their holidays
        and make-up working days are unknown, so those days count as ordinary days."""
        known = {day.year for day in self.holidays | self.makeup_workdays}
        last = today + timedelta(days=days)
        return [year for year in range(today.year, last.year + 1) if year not in known]

    def coverage_warning(self, today: date, lang: str) -> str | None:
        """What staff are told when the calendar does not cover the next days, naming the
        configuration keys to fill; None when it does."""
        years = self.uncovered_years(today)
        if not years:
            return None
        return t("calendar.not_covered", lang, days=COVERAGE_DAYS,
                 years="、".join(map(str, years)))

    def is_workday(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day not in self.holidays and day.isoweekday() in self.workdays

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of one local day, as aware datetimes."""
        if not self.is_workday(day):
            return []
        return [(datetime.combine(day, start, self.tz), datetime.combine(day, end, self.tz))
                for start, end in self.hours]

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two instants (0 when `end` is not after `start`)."""
        if end <= start:
            return 0.0
        day, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        total = 0.0
        while day <= last:
            for begin, finish in self.windows(day):
                overlap = (min(finish, end) - max(begin, start)).total_seconds()
                if overlap > 0:
                    total += overlap
            day += timedelta(days=1)
        return total

    def add_working_time(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of working time have passed after `start`."""
        if not self.hours or not (self.workdays or self.makeup_workdays):
            raise ValueError("the working calendar has no working time")
        remaining = max(0.0, seconds)
        day = start.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            for begin, finish in self.windows(day):
                begin = max(begin, start)
                if finish <= begin:
                    continue
                available = (finish - begin).total_seconds()
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
            day += timedelta(days=1)
        raise ValueError("no working time within ten years: check the working calendar")
