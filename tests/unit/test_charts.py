"""The trend chart's legend covers no bar and no point of the rate line (issue 15, item 8)."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.foundation.periods import parse_period
from bot.reports import charts
from bot.reports.stats import Bucket, Stats

TZ = ZoneInfo("Asia/Shanghai")


def stats_of(logged: list[int], rates: list[float | None]) -> Stats:
    stats = Stats(parse_period("2026-11", TZ, date(2026, 11, 27)))
    stats.buckets = [Bucket(date(2026, 11, 2 + 7 * i), f"11-{2 + 7 * i:02d}")
                     for i in range(len(logged))]
    for bucket, n, rate in zip(stats.buckets, logged, rates):
        bucket.logged = n
        bucket.resolved = round(n * rate) if rate is not None else 0
    return stats


@pytest.mark.parametrize(("logged", "rates"), [
    ([9, 1, 1, 1, 1], [1.0, 0.0, 0.0, 0.0, 0.0]),  # the tallest bar first, where a legend sat
    ([5, 5, 5, 5, 5], [1.0, 1.0, 1.0, 1.0, 1.0]),
    ([1, 2, 3, 4, 9], [0.0, 0.5, None, 1.0, 1.0]),
])
def test_the_legend_covers_nothing_it_explains(logged, rates):
    with charts._lock:
        charts._register_font()
        figure, _ = charts.trend_figure(stats_of(logged, rates), "zh-CN")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    legends = figure.legends + [a.get_legend() for a in figure.axes if a.get_legend()]
    [legend] = legends
    box = legend.get_window_extent(renderer)
    bars, rate = figure.axes
    for patch in bars.patches:
        assert not box.overlaps(patch.get_window_extent(renderer))
    line = rate.get_lines()[0]
    for x, y in line.get_xydata():
        if y == y:  # not NaN
            px, py = rate.transData.transform((x, y))
            assert not box.contains(px, py)
