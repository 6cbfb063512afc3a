"""Working hours between many pairs of instants at once.

`WorkCalendar.working_seconds` walks the days of one interval in Python; a month of requests
needs tens of thousands of such intervals. Here each instant is mapped to the working seconds
elapsed since the first day (a cumulative timeline, built once per call from the same
calendar), so every duration is one subtraction, done by numpy for all rows together.
Instants are POSIX timestamps (seconds); NaN marks a missing one.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import numpy as np
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.models import aware

from ..foundation.workcalendar import WorkCalendar


def epoch(values: Iterable[datetime | None]) -> np.ndarray:
    return np.array([aware(v).timestamp() if v is not None else np.nan for v in values],
                    dtype=float)


class epoch_list(FunctionElement):
    """SQL aggregate: the POSIX timestamps of a datetime column over a group, NULL as NaN.

    Decoding one array per group instead of a datetime per row is what keeps a month of a
    big database fast. Several `epoch_list`s in one query list their rows in the same order
    (every aggregate of a query level is fed the same rows in one pass)."""

    inherit_cache = True
    name = "epoch_list"


@compiles(epoch_list, "postgresql")
def _postgresql(element, compiler, **kw) -> str:
    return f"array_agg(date_part('epoch', {compiler.process(element.clauses, **kw)}))"


@compiles(epoch_list, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"group_concat(coalesce((julianday({column}) - 2440587.5) * 86400.0, 'nan'))"


def epoch_array(value: list | str | None) -> np.ndarray:
    """An `epoch_list` result as a float array (PostgreSQL: a list, SQLite: text)."""
    if value is None:
        return np.zeros(0)
    if isinstance(value, str):
        return np.array(value.split(","), dtype=float)
    return np.array(value, dtype=float)


class _Timeline:
    def __init__(self, calendar: WorkCalendar, first: date, last: date) -> None:
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        width = max(len(calendar.hours), 1)
        self.starts = np.zeros((len(days), width))
        self.lengths = np.zeros((len(days), width))
        for row, day in enumerate(days):
            for column, (begin, end) in enumerate(calendar.windows(day)):
                self.starts[row, column] = begin.timestamp()
                self.lengths[row, column] = (end - begin).total_seconds()
        self.day_starts = np.array([datetime.combine(day, time(), calendar.tz).timestamp()
                                    for day in days])
        per_day = self.lengths.sum(axis=1)
        self.before = np.concatenate(([0.0], np.cumsum(per_day)[:-1]))

    def elapsed(self, instants: np.ndarray) -> np.ndarray:
        """Working seconds from the first day's midnight to each instant."""
        index = np.clip(np.searchsorted(self.day_starts, instants, side="right") - 1,
                        0, len(self.day_starts) - 1)
        within = np.clip(instants[:, None] - self.starts[index], 0.0, self.lengths[index])
        return self.before[index] + within.sum(axis=1)


def working_hours(calendar: WorkCalendar, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Working hours from each start to its end (timestamps, none missing); 0 when the end
    is not after the start."""
    if not len(starts):
        return np.zeros(0)
    local = lambda stamp: datetime.fromtimestamp(stamp, calendar.tz).date()  # noqa: E731
    timeline = _Timeline(calendar, local(starts.min()), local(max(starts.max(), ends.max())))
    return np.maximum(timeline.elapsed(ends) - timeline.elapsed(starts), 0.0) / 3600.0
