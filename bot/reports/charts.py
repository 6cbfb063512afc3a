"""PNG charts of a period's statistics (matplotlib, Agg, no pyplot state).

Rendering is blocking CPU work: callers run `render` in a thread (`asyncio.to_thread`).
Chinese text uses Noto Sans CJK SC from the `noto-cjk-sans-otc` package, registered once.
"""
from __future__ import annotations

import threading
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402 - after choosing the backend
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator, PercentFormatter  # noqa: E402

from ..foundation.i18n import t  # noqa: E402
from ..requests.ticket_views import category_label  # noqa: E402
from ..outreach.surveys import Results  # noqa: E402
from .platform_report import PlatformReport  # noqa: E402
from .stats import Stats  # noqa: E402

FONT_FAMILY = "Noto Sans CJK SC"
SIZE_INCHES = (10, 5.6)
DPI = 100  # 1000 × 560 pixels
BAR, LINE = "#3b7dd8", "#e8741e"
# matplotlib's font list and rc parameters are process-wide: one rendering at a time.
_lock = threading.Lock()
_font_ready = False


def _register_font() -> None:
    global _font_ready
    if not _font_ready:
        import noto_cjk_sans_otc

        font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
        _font_ready = True


def _figure() -> Figure:
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _style(axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _save(figure: Figure, path: Path) -> Path:
    figure.savefig(path, format="png", dpi=DPI)
    return path


def _trend(stats: Stats, path: Path, lang: str) -> tuple[Path, str]:
    figure, title = trend_figure(stats, lang)
    return _save(figure, path), title


def trend_figure(stats: Stats, lang: str) -> tuple[Figure, str]:
    """Requests filed per week (or month) as bars, their resolution rate as a line; the
    legend sits above the plot, where it cannot cover a bar or a point of the line."""
    figure = _figure()
    axes = figure.add_subplot()
    labels = [b.label for b in stats.buckets]
    positions = range(len(labels))
    axes.bar(positions, [b.logged for b in stats.buckets], color=BAR, width=0.6,
             label=t("report.chart_logged", lang))
    step = max(1, len(labels) // 24)  # years of months: label every n-th
    axes.set_xticks(list(positions)[::step], labels[::step],
                    rotation=45 if len(labels) > 12 else 0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel(t("report.chart_logged", lang))
    _style(axes)
    rate = axes.twinx()
    rate.plot(positions, [b.rate * 100 if b.rate is not None else float("nan")
                          for b in stats.buckets], color=LINE, marker="o",
              label=t("report.chart_rate", lang))
    rate.set_ylim(0, 105)
    rate.yaxis.set_major_formatter(PercentFormatter())
    rate.set_ylabel(t("report.chart_rate", lang))
    rate.spines["top"].set_visible(False)
    key = "report.chart_monthly_title" if stats.by_month else "report.chart_weekly_title"
    title = t(key, lang, period=stats.period.label)
    axes.set_title(title)
    handles = axes.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    figure.legend(handles=handles, loc="outside upper right", ncols=len(handles), frameon=False)
    return figure, title


def _categories(stats: Stats, path: Path, lang: str) -> tuple[Path, str]:
    """Requests filed per category, largest first."""
    figure = _figure()
    axes = figure.add_subplot()
    items = list(stats.by_category.items())[::-1]  # largest at the top
    bars = axes.barh([category_label(c, lang) for c, _ in items], [n for _, n in items],
                     color=BAR)
    axes.bar_label(bars, padding=3)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(t("report.chart_count", lang))
    title = t("report.chart_category_title", lang, period=stats.period.label)
    axes.set_title(title)
    _style(axes)
    return _save(figure, path), title


def render(stats: Stats, directory: Path, lang: str = "zh-CN") -> list[tuple[Path, str]]:
    """Both charts of a period as PNG files in `directory`, with their titles."""
    with _lock, matplotlib.rc_context({"font.family": FONT_FAMILY}):
        _register_font()
        return [_trend(stats, directory / "trend.png", lang),
                _categories(stats, directory / "categories.png", lang)]


def _platform(report: PlatformReport, path: Path, lang: str) -> tuple[Path, str]:
    """The report on one page: enterprises served and needs by source; 解决率 and its target."""
    from .platform_text import SOURCES

    figure = _figure()
    counts, rate = figure.subplots(1, 2, width_ratios=[3, 1])
    sources = [s for s in SOURCES
               if report.served_by_source.get(s) or report.needs_by_source.get(s)] or ["chat"]
    positions = range(len(sources))
    width = 0.38
    for offset, values, color, key in (
            (-width / 2, report.served_by_source, BAR, "platform.chart_served"),
            (width / 2, report.needs_by_source, LINE, "platform.chart_needs")):
        bars = counts.bar([p + offset for p in positions], [values.get(s, 0) for s in sources],
                          width, color=color, label=t(key, lang))
        counts.bar_label(bars, padding=2)
    counts.set_xticks(list(positions), [t(f"platform.source.{s}", lang) for s in sources])
    counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    counts.legend(loc="upper right", frameon=False)
    _style(counts)
    value = (report.rate or 0) * 100
    rate.bar([0], [value], 0.5, color=BAR if report.target_met else LINE)
    rate.axhline(report.target * 100, color="#c0392b", linestyle="--",
                 label=t("platform.chart_target", lang, target=f"{report.target:.0%}"))
    rate.text(0, value + 2, f"{value:.1f}%", ha="center")
    rate.set_xticks([0], [t("report.chart_rate", lang)])
    rate.set_ylim(0, 110)
    rate.yaxis.set_major_formatter(PercentFormatter())
    rate.legend(loc="upper right", frameon=False)
    _style(rate)
    title = t("platform.chart_title", lang, period=report.period.label)
    figure.suptitle(title)
    return _save(figure, path), title


def render_report(report: PlatformReport, directory: Path,
                  lang: str = "zh-CN") -> tuple[Path, str]:
    """The platform report's chart as a PNG file in `directory`, with its title."""
    with _lock, matplotlib.rc_context({"font.family": FONT_FAMILY}):
        _register_font()
        return _platform(report, directory / "platform-report.png", lang)


def _survey(results: Results, path: Path, lang: str) -> tuple[Path, str]:
    """Answers per option of every choice question, one panel each."""
    questions = [q for q in results.definition.questions if q.id in results.counts]
    figure = Figure(figsize=(SIZE_INCHES[0], max(SIZE_INCHES[1], 2.4 * len(questions))),
                    dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    for axes, question in zip(figure.subplots(len(questions), 1, squeeze=False)[:, 0],
                              questions):
        counts = results.counts[question.id]
        bars = axes.barh(list(counts)[::-1], list(counts.values())[::-1], color=BAR)
        axes.bar_label(bars, padding=3)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(question.text, loc="left", fontsize=10)
        _style(axes)
    title = t("survey.chart_title", lang, title=results.definition.title,
              finished=results.finished)
    figure.suptitle(title)
    return _save(figure, path), title


def render_survey(results: Results, directory: Path, lang: str = "zh-CN"
                  ) -> tuple[Path, str] | None:
    """The survey's choice questions as a PNG file in `directory`; None without any."""
    if not results.counts:
        return None
    with _lock, matplotlib.rc_context({"font.family": FONT_FAMILY}):
        _register_font()
        return _survey(results, directory / f"survey-{results.survey.id}.png", lang)
