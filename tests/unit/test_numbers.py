"""Numbers typed by staff and carried in button data (issue 16, item 6): `²` and numbers past
the database's integer range are no numbers, never an exception."""
import pytest
from hypothesis import given, strategies as st

from bot.app.command_types import number
from bot.foundation.numbers import MAX_ID, whole_number


@pytest.mark.parametrize("text", ["²", "①", "١٢", "12²", "-1", "+1", " 1", "1.0", "", "#",
                                  str(MAX_ID + 1), "9" * 40, "1e3"])
def test_what_is_not_a_usable_number(text):
    assert whole_number(text) is None
    assert number(text) is None
    assert number("#" + text) is None


@pytest.mark.parametrize("text, value", [("0", 0), ("12", 12), ("007", 7),
                                         (str(MAX_ID), MAX_ID)])
def test_numbers(text, value):
    assert whole_number(text) == value
    assert number("#" + text) == value


@given(st.text(max_size=20))
def test_any_text_is_a_number_in_range_or_none(text):
    value = whole_number(text)
    assert value is None or 0 <= value <= MAX_ID


@given(st.integers(min_value=0, max_value=10**30), st.integers(min_value=0, max_value=10**6))
def test_the_maximum_is_honoured(value, maximum):
    assert whole_number(str(value), maximum) == (value if value <= maximum else None)
