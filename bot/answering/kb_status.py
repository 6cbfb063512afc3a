"""The knowledge base's freshness as staff read it: `sme-assistant kb status`, `/kbstatus` and
the weekly post to the staff group all render `knowledge.freshness` with these functions."""
from __future__ import annotations

from datetime import date
from itertools import groupby

from knowledge.freshness import ChapterFreshness, FreshnessItem, FreshnessReport, freshness_report
from knowledge.model import KnowledgeBase

from ..delivery.outgoing import esc
from ..foundation.i18n import t

HORIZON_DAYS = 90  # what expires or falls due for review within this many days is listed
MAX_DAYS = 3660  # the longest horizon staff may ask for
WARN_DAYS = 30  # the weekly post goes out when an answer expires within this many days
OLDEST = 3  # entries reviewed longest ago, per chapter (by id, on one line per review date)
PER_LIST = 8  # items of one list shown; the rest counted (a Telegram message holds 4096 chars)
SHORT = 40  # characters of a question

LISTS = ("expired", "expiring", "review_overdue", "review_due")


def report(kb: KnowledgeBase, today: date, horizon_days: int = HORIZON_DAYS) -> FreshnessReport:
    return freshness_report(kb, today, horizon_days, OLDEST)


def _when(item: FreshnessItem, lang: str) -> str:
    if item.days < 0:
        return t("kb_status.days_ago", lang, days=-item.days)
    return t("kb_status.days_left", lang, days=item.days) if item.days else t(
        "kb_status.today", lang)


def _items(items: tuple[FreshnessItem, ...], lang: str) -> list[str]:
    lines = [t("kb_status.item", lang, id=esc(i.id), date=i.date.isoformat(), when=_when(i, lang),
               question=esc(i.question if len(i.question) <= SHORT else i.question[:SHORT - 1]
                            + "…"))
             for i in items[:PER_LIST]]
    if len(items) > PER_LIST:
        lines.append(t("kb_status.and_more", lang, count=len(items) - PER_LIST))
    return lines


def chapter_lines(chapter: ChapterFreshness, lang: str) -> list[str]:
    lines = [t("kb_status.chapter", lang, category=esc(chapter.category), entries=chapter.entries)]
    for name in LISTS:
        items = getattr(chapter, name)
        if items:
            lines += [t(f"kb_status.{name}", lang), *_items(items, lang)]
    for day, items in groupby(chapter.oldest_reviewed, key=lambda i: i.date):
        items = list(items)
        lines.append(t("kb_status.oldest_reviewed", lang, date=day.isoformat(),
                       days=-items[0].days, ids="、".join(f"<code>{esc(i.id)}</code>"
                                                          for i in items)))
    return lines


def status_text(found: FreshnessReport, lang: str) -> str:
    """Per chapter: what has expired, expires or falls due for review within the horizon, and
    what was reviewed longest ago (HTML; `plain_text` makes it terminal text)."""
    lines = [t("kb_status.title", lang, today=found.today.isoformat(), days=found.horizon_days,
               entries=sum(c.entries for c in found.chapters))]
    if not found.needs_attention:
        lines.append(t("kb_status.nothing", lang, days=found.horizon_days))
    for chapter in found.chapters:
        lines += ["", *chapter_lines(chapter, lang)]
    return "\n".join(lines)


def weekly_text(found: FreshnessReport, lang: str) -> str | None:
    """The weekly post: the list, headed by a warning, when an answer expires within WARN_DAYS
    or has expired (no longer answered); None when there is nothing to warn about."""
    soon = len(found.expiring_within(WARN_DAYS))
    expired = sum(len(c.expired) for c in found.chapters)
    if not soon and not expired:
        return None
    head = [t("kb_status.weekly", lang, count=soon, days=WARN_DAYS)] if soon else []
    head += [t("kb_status.weekly_expired", lang, count=expired)] if expired else []
    return "\n".join([*head, t("kb_status.weekly_then", lang), "", status_text(found, lang)])
