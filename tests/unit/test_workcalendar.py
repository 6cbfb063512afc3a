"""Working time with the default calendar: weekends, 2026 public holidays, make-up working
days, the lunch break and starts outside working hours."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.foundation.settings import CalendarSettings, SlaSettings
from bot.requests.sla import SlaPolicy
from bot.foundation.workcalendar import WorkCalendar

CST = ZoneInfo("Asia/Shanghai")
HOUR = 3600
CALENDAR = WorkCalendar(CalendarSettings())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.mark.parametrize("start, hours, end", [
    ("2026-11-27 16:30", 2, "2026-11-30 10:00"),  # Friday → over the weekend → Monday
    ("2026-11-30 11:00", 2, "2026-11-30 14:30"),  # the lunch break 12:00-13:30 does not count
    ("2026-11-30 12:00", 0.5, "2026-11-30 14:00"),  # the end of a morning is the afternoon
    ("2026-09-30 17:00", 1, "2026-10-08 09:30"),  # National Day holiday, 1-7 October
    ("2026-09-24 17:00", 1, "2026-09-28 09:30"),  # Mid-Autumn Festival Friday, then weekend
    ("2026-10-09 17:00", 1, "2026-10-10 09:30"),  # Saturday 10 October is a make-up working day
    ("2026-09-19 10:00", 1, "2026-09-20 10:00"),  # … and so is Sunday 20 September
    ("2026-11-20 17:00", 1, "2026-11-23 09:30"),  # an ordinary Saturday is not
    ("2026-02-13 17:00", 1, "2026-02-14 09:30"),  # the Spring Festival's make-up Saturday
    ("2026-02-14 17:00", 1, "2026-02-24 09:30"),  # … then nine days off, 15-23 February
    ("2026-11-28 03:00", 0, "2026-11-30 09:00"),  # Saturday night: the next working moment
    ("2026-11-28 03:00", 1, "2026-11-30 10:00"),
    ("2026-11-30 20:00", 1, "2026-12-01 10:00"),  # after hours: from tomorrow morning
    ("2026-11-30 07:00", 3, "2026-11-30 12:00"),  # before hours: from 09:00
])
def test_add_working_time(start, hours, end):
    assert CALENDAR.add_working_time(at(start), hours * HOUR) == at(end)


@pytest.mark.parametrize("start, end, hours", [
    ("2026-11-27 16:30", "2026-11-30 10:00", 2),
    ("2026-11-30 11:00", "2026-11-30 14:30", 2),
    ("2026-11-30 12:10", "2026-11-30 13:20", 0),  # inside the lunch break
    ("2026-09-30 17:00", "2026-10-08 09:30", 1),
    ("2026-10-01 09:00", "2026-10-07 17:30", 0),  # the whole National Day holiday
    ("2026-10-09 17:00", "2026-10-10 09:30", 1),
    ("2026-11-28 03:00", "2026-11-30 09:00", 0),
    ("2026-11-30 07:00", "2026-11-30 20:00", 7),  # one full working day
    ("2026-11-30 10:00", "2026-11-30 09:00", 0),  # the end before the start
])
def test_working_seconds(start, end, hours):
    assert CALENDAR.working_seconds(at(start), at(end)) == hours * HOUR


def test_instants_in_utc_are_read_in_the_platform_time_zone():
    start = at("2026-11-27 16:30").astimezone(timezone.utc)
    end = CALENDAR.add_working_time(start, 2 * HOUR)
    assert end == at("2026-11-30 10:00") and CALENDAR.working_seconds(start, end) == 2 * HOUR


def test_default_holidays_follow_the_2026_notice():
    settings = CalendarSettings()
    holidays, makeup = set(settings.holidays), set(settings.makeup_workdays)
    assert len(holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7 and not holidays & makeup
    assert all(day.year == 2026 for day in holidays | makeup)
    assert all(day.isoweekday() in (6, 7) for day in makeup)  # 调休 moves weekend days only
    assert not CALENDAR.is_workday(date(2026, 10, 1)) and CALENDAR.is_workday(date(2026, 10, 10))
    assert CALENDAR.is_workday(date(2026, 1, 4)) and not CALENDAR.is_workday(date(2026, 1, 2))


def test_follow_up_is_due_at_the_next_working_moment_after_the_days():
    policy = SlaPolicy(CALENDAR, SlaSettings(followup_days=7))
    assert policy.followup_due(at("2026-11-27 16:00")) == at("2026-12-04 16:00")
    assert policy.followup_due(at("2026-11-27 18:00")) == at("2026-12-07 09:00")
    assert policy.followup_due(at("2026-09-24 10:00")) == at("2026-10-08 09:00")  # holiday
    assert SlaPolicy(CALENDAR, SlaSettings(followup_days=0)).followup_due(
        at("2026-11-27 16:00")) is None


def test_a_calendar_without_working_time_is_refused():
    empty = WorkCalendar(CalendarSettings(workdays=[], makeup_workdays=[]))
    with pytest.raises(ValueError):
        empty.add_working_time(at("2026-11-27 10:00"), HOUR)
    assert empty.working_seconds(at("2026-11-27 09:00"), at("2026-11-28 09:00")) == 0


@pytest.mark.parametrize(("today", "years"), [
    (date(2026, 6, 1), []),
    (date(2026, 12, 1), []),  # 30 days ahead is still 2026
    (date(2026, 12, 6), [2027]),  # 2027's holidays are not configured
    (date(2027, 3, 1), [2027]),
])
def test_years_the_calendar_does_not_cover(today, years):
    assert CALENDAR.uncovered_years(today) == years


def test_the_warning_names_the_keys_to_fill():
    warning = CALENDAR.coverage_warning(date(2026, 12, 6), "zh-CN")
    assert "2027" in warning and "calendar.holidays" in warning
    assert "calendar.makeup_workdays" in warning and "config.yaml" in warning
    assert "calendar.holidays" in CALENDAR.coverage_warning(date(2026, 12, 6), "en")
    assert CALENDAR.coverage_warning(date(2026, 6, 1), "zh-CN") is None
