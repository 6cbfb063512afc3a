"""The statistics of a period as an HTML message for staff (every name escaped)."""
from __future__ import annotations

from collections import Counter

from knowledge.model import KnowledgeBase

from ..foundation.i18n import t
from ..delivery.outgoing import esc
from ..requests.ticket_views import category_label, status_label
from .stats import Stats

TOP = 5
NONE = "—"


def hours(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}"


def percent(value: float | None) -> str:
    return NONE if value is None else f"{value:.1%}"


def _joined(items: list[str]) -> str:
    return "　".join(items) if items else NONE


def _needs(stats: Stats, lang: str) -> list[str]:
    lines = [
        t("report.enterprises", lang, count=stats.enterprises),
        t("report.needs", lang, logged=stats.logged, resolved=stats.resolved,
          rate=percent(stats.resolution_rate)),
        t("report.times", lang, first=hours(stats.first_response_h),
          resolution=hours(stats.resolution_h)),
    ]
    if stats.rated:
        distribution = _joined([f"{'★' * score} {stats.ratings.get(score, 0)}"
                                for score in range(5, 0, -1)])
        lines.append(t("report.satisfaction", lang, average=f"{stats.rating_average:.2f}",
                       rated=stats.rated, distribution=distribution))
    else:
        lines.append(t("report.no_rating", lang))
    lines.append(t("report.by_category", lang, items=_joined(
        [f"{category_label(c, lang)} {n}" for c, n in stats.by_category.items()])))
    lines.append(t("report.by_status", lang, items=_joined(
        [f"{status_label(s, lang)} {n}" for s, n in stats.by_status.items()])))
    return lines


def _staff(stats: Stats, lang: str) -> list[str]:
    lines = [t("report.staff_title", lang)]
    lines += [t("report.staff_line", lang, name=esc(s.name), handled=s.handled,
                resolved=s.resolved, first=hours(s.first_response_h),
                resolution=hours(s.resolution_h),
                rating=NONE if s.rating is None else f"{s.rating:.2f}")
              for s in stats.staff] or [t("report.no_staff", lang)]
    return lines


def _assistant(stats: Stats, kb: KnowledgeBase, lang: str) -> list[str]:
    asked = sum(stats.questions.values())
    lines = [t("report.bot_title", lang),
             t("report.questions", lang, asked=asked,
               answered=stats.questions.get("answered", 0),
               suggested=stats.questions.get("suggested", 0),
               unanswered=stats.questions.get("no_answer", 0))]
    known = [(kb.get(entry_id), count) for entry_id, count in stats.topics.items()]
    known = [(entry, count) for entry, count in known if entry is not None]
    if known:
        lines.append(t("report.top_entries", lang))
        lines += [t("report.top_entry", lang, rank=rank, question=esc(entry.question),
                    count=count) for rank, (entry, count) in enumerate(known[:TOP], 1)]
        categories = Counter()
        for entry, count in known:
            categories[entry.category] += count
        lines.append(t("report.top_categories", lang, items=_joined(
            [f"{esc(name)} {count}" for name, count in categories.most_common(TOP)])))
    return lines


def stats_text(stats: Stats, kb: KnowledgeBase, lang: str = "zh-CN") -> str:
    period = stats.period
    lines = [t("report.title", lang, period=esc(period.label), first=period.first_day,
               last=period.last_day), t("report.basis", lang)]
    if stats.logged:
        lines += _needs(stats, lang) + [""] + _staff(stats, lang)
    else:
        lines += [t("report.enterprises", lang, count=stats.enterprises),
                  t("report.no_needs", lang)]
    return "\n".join(lines + [""] + _assistant(stats, kb, lang))
