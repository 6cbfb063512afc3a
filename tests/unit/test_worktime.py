"""Working hours for many intervals at once agree with the working calendar, interval by
interval: weekends, lunch breaks, holidays, make-up working days, daylight saving time."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from bot.foundation.settings import CalendarSettings
from bot.reports.worktime import epoch, working_hours as hours_of
from bot.foundation.workcalendar import WorkCalendar

SHANGHAI = WorkCalendar(CalendarSettings(holidays=[date(2026, 10, 1), date(2026, 10, 2)],
                                         makeup_workdays=[date(2026, 10, 10)]))
BERLIN = WorkCalendar(CalendarSettings(timezone="Europe/Berlin", hours=["08:00-16:00"],
                                       workdays=[1, 2, 3, 4, 5, 6]))


def working_hours(calendar, starts, ends):
    return hours_of(calendar, epoch(starts), epoch(ends))


BASE = datetime(2026, 9, 20, tzinfo=timezone.utc)
offsets = st.integers(min_value=0, max_value=60 * 24 * 60)  # minutes within ~two months


def at(local: str, tz: str = "Asia/Shanghai") -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz))


def test_across_a_weekend_and_the_lunch_break():
    starts = [at("2026-11-06 16:30"), at("2026-11-09 11:00"), at("2026-11-21 10:00")]
    ends = [at("2026-11-10 10:00"), at("2026-11-09 14:00"), at("2026-11-22 18:00")]
    # Friday 1 h + Monday 7 h + Tuesday 1 h; 1 h before and 0.5 h after lunch; a weekend.
    assert list(working_hours(SHANGHAI, starts, ends)) == [9.0, 1.5, 0.0]


def test_holidays_and_make_up_days():
    # 1-2 October are holidays, Saturday 10 October is worked instead.
    hours = working_hours(SHANGHAI, [at("2026-09-30 17:00"), at("2026-10-10 08:00")],
                          [at("2026-10-05 09:00"), at("2026-10-11 12:00")])
    assert list(hours) == [0.5, 7.0]


def test_end_before_start_and_nothing_to_measure():
    assert list(working_hours(SHANGHAI, [at("2026-11-10 10:00")],
                              [at("2026-11-09 10:00")])) == [0.0]
    assert len(working_hours(SHANGHAI, [], [])) == 0


def test_naive_values_are_utc_as_sqlite_returns_them():
    naive = datetime(2026, 11, 9, 1, 0)  # 09:00 in Shanghai
    assert list(working_hours(SHANGHAI, [naive], [naive + timedelta(hours=2)])) == [2.0]


@pytest.mark.parametrize("calendar", [SHANGHAI, BERLIN], ids=["shanghai", "berlin-dst"])
@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(offsets, offsets), min_size=1, max_size=20))
def test_agrees_with_the_calendar(calendar, pairs):
    starts = [BASE + timedelta(minutes=a) for a, _ in pairs]
    ends = [BASE + timedelta(minutes=b) for _, b in pairs]
    expected = [calendar.working_seconds(s, e) / 3600 for s, e in zip(starts, ends)]
    assert working_hours(calendar, starts, ends) == pytest.approx(expected, abs=1e-6)
