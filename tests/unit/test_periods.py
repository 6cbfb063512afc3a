"""Report periods typed by staff: every accepted form, and the forms refused."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.foundation.periods import PeriodError, parse_period

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 27)  # a Friday


def bounds(text, default="month"):
    period = parse_period(text, TZ, TODAY, default)
    return period.first_day, period.last_day, period.label


@pytest.mark.parametrize("text", ["today", "TODAY", "今天", "今日", " today "])
def test_today(text):
    assert bounds(text) == (TODAY, TODAY, "2026-11-27")


@pytest.mark.parametrize("text", ["week", "本周"])
def test_week_runs_monday_to_sunday(text):
    assert bounds(text) == (date(2026, 11, 23), date(2026, 11, 29),
                            "2026-11-23..2026-11-29")


@pytest.mark.parametrize("text", ["month", "本月", "", None, "   "])
def test_month_and_the_default(text):
    assert bounds(text) == (date(2026, 11, 1), date(2026, 11, 30), "2026-11")


def test_other_defaults():
    assert bounds("", default="today")[:2] == (TODAY, TODAY)


@pytest.mark.parametrize("text", ["lastmonth", "last-month", "last month", "上月"])
def test_last_month(text):
    assert bounds(text) == (date(2026, 10, 1), date(2026, 10, 31), "2026-10")


def test_last_month_in_january_is_last_december():
    period = parse_period("上月", TZ, date(2027, 1, 15))
    assert (period.first_day, period.last_day) == (date(2026, 12, 1), date(2026, 12, 31))


@pytest.mark.parametrize("text", ["year", "本年", "今年"])
def test_year(text):
    assert bounds(text) == (date(2026, 1, 1), date(2026, 12, 31), "2026")


@pytest.mark.parametrize("text, first, last, label", [
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
    ("2026-2", date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-02"),  # leap year
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
])
def test_months(text, first, last, label):
    assert bounds(text) == (first, last, label)


@pytest.mark.parametrize("text", [
    "2026-01-01..2026-03-31", "2026-01-01 .. 2026-03-31", "2026-1-1..2026-3-31",
    "2026-01-01~2026-03-31", "2026-01-01至2026-03-31", "2026-01-01到2026-03-31",
])
def test_ranges(text):
    assert bounds(text) == (date(2026, 1, 1), date(2026, 3, 31), "2026-01-01..2026-03-31")


@pytest.mark.parametrize("text", ["2026-11-05", "2026-11-5"])
def test_a_single_day(text):
    assert bounds(text) == (date(2026, 11, 5), date(2026, 11, 5), "2026-11-05")


def test_a_period_is_half_open_in_the_platform_time_zone():
    period = parse_period("2026-11", TZ, TODAY)
    assert period.start == datetime(2026, 11, 1, tzinfo=TZ)
    assert period.end == datetime(2026, 12, 1, tzinfo=TZ)
    assert period.start.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize("text", [
    "yesterday", "2026", "2026-13", "2026-00", "2026-11-31", "2026-02-30", "11-2026",
    "2026/11", "2026-03-31..2026-01-01",  # backwards
    "2000-01-01..2026-01-01",  # more than ten years
    "2026-01-01..", "..2026-01-01", "2026-01-01..2026-13-01", "month csv", "<b>",
    "2026-1-1-1",
])
def test_bad_forms_are_refused(text):
    with pytest.raises(PeriodError):
        parse_period(text, TZ, TODAY)


# -- the class of dates out of range (issue 16, item 6): refused, never an overflow ----------

from datetime import timezone  # noqa: E402

from hypothesis import example, given, strategies as st  # noqa: E402

from bot.foundation.periods import PeriodOutOfRange  # noqa: E402

EDGES = [date(1, 1, 1), date(1, 1, 2), date(9999, 12, 31), date(9999, 12, 30)]
# The ends of what `date` holds come up often: that is where arithmetic overflows.
ANY_DAY = st.one_of(st.sampled_from(EDGES),
                    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))


def usable(period) -> None:
    """What reports do with a period: UTC bounds and the period before it of the same length."""
    period.start.astimezone(timezone.utc), period.end.astimezone(timezone.utc)
    (period.start - (period.end - period.start)).astimezone(timezone.utc)


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "0001-01", "9999-12",
                                  "1969-12-31", "3000-01-01", "0001-01-01..0001-01-02"])
def test_dates_out_of_range_are_refused_as_such(text):
    with pytest.raises(PeriodOutOfRange):
        parse_period(text, TZ, TODAY)


@given(first=ANY_DAY, last=ANY_DAY, form=st.sampled_from(["day", "month", "range"]))
def test_any_date_gives_a_usable_period_or_a_period_error(first, last, form):
    text = {"day": first.isoformat(), "month": f"{first.year:04d}-{first.month}",
            "range": f"{first.isoformat()}..{last.isoformat()}"}[form]
    try:
        period = parse_period(text, TZ, TODAY)
    except PeriodError:
        return
    usable(period)


@given(st.text(max_size=30))
def test_any_text_gives_a_period_or_a_period_error(text):
    try:
        usable(parse_period(text, TZ, TODAY))
    except PeriodError:
        pass
