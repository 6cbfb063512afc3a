"""Freshness of the knowledge base: which answers are about to become wrong (issue 17).

Pure functions of a knowledge base and a date. `kb check` uses `freshness_problems` (an entry
past `valid_until` fails the check, one past `review_by` is a warning); the bot side
(`sme-assistant kb status`, `/kbstatus`, the weekly post) renders `freshness_report`.

Dates are inclusive: an entry with `valid_until: 2027-12-31` is still valid on that day and
expired from 2028-01-01; `review_by: 2027-06-30` is overdue from 2027-07-01.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from .model import Entry, KnowledgeBase
from .problems import Problem
from .texts import t


@dataclass(frozen=True)
class FreshnessItem:
    """One entry and the date that puts it in a list; `days` counts from `today` to `date`
    (negative: the date has passed)."""

    id: str
    question: str
    date: date
    days: int
    file: Path | None = None
    line: int | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "question": self.question, "date": self.date.isoformat(),
                "days": self.days}


@dataclass(frozen=True)
class ChapterFreshness:
    """The lists of one chapter (category), each sorted by date, then id."""

    category: str
    entries: int
    expired: tuple[FreshnessItem, ...]        # valid_until < today
    expiring: tuple[FreshnessItem, ...]       # today <= valid_until <= today + horizon
    review_overdue: tuple[FreshnessItem, ...]  # review_by < today
    review_due: tuple[FreshnessItem, ...]     # today <= review_by <= today + horizon
    oldest_reviewed: tuple[FreshnessItem, ...]  # smallest `updated` first

    @property
    def needs_attention(self) -> bool:
        return bool(self.expired or self.expiring or self.review_overdue or self.review_due)

    def to_dict(self) -> dict:
        lists = ("expired", "expiring", "review_overdue", "review_due", "oldest_reviewed")
        return {"category": self.category, "entries": self.entries,
                **{name: [i.to_dict() for i in getattr(self, name)] for name in lists}}


@dataclass(frozen=True)
class FreshnessReport:
    today: date
    horizon_days: int
    chapters: tuple[ChapterFreshness, ...]

    @property
    def needs_attention(self) -> bool:
        return any(c.needs_attention for c in self.chapters)

    def expiring_within(self, days: int) -> list[tuple[str, FreshnessItem]]:
        """(category, item) of entries whose valid_until falls in [today, today + days], e.g.
        30 for the weekly post; `days` should not exceed the report's horizon."""
        return [(c.category, i) for c in self.chapters for i in c.expiring if i.days <= days]

    def to_dict(self) -> dict:
        return {"today": self.today.isoformat(), "horizon_days": self.horizon_days,
                "chapters": [c.to_dict() for c in self.chapters]}


def _item(entry: Entry, when: date, today: date) -> FreshnessItem:
    return FreshnessItem(entry.id, entry.question, when, (when - today).days,
                         entry.file, entry.line)


def _sorted(items: list[FreshnessItem]) -> tuple[FreshnessItem, ...]:
    return tuple(sorted(items, key=lambda i: (i.date, i.id)))


def chapter_freshness(category: str, entries: list[Entry], today: date, horizon_days: int = 90,
                      oldest: int = 3) -> ChapterFreshness:
    horizon = today + timedelta(days=horizon_days)
    expired, expiring, overdue, due = [], [], [], []
    for entry in entries:
        if entry.valid_until is not None:
            if entry.valid_until < today:
                expired.append(_item(entry, entry.valid_until, today))
            elif entry.valid_until <= horizon:
                expiring.append(_item(entry, entry.valid_until, today))
        if entry.review_by is not None:
            if entry.review_by < today:
                overdue.append(_item(entry, entry.review_by, today))
            elif entry.review_by <= horizon:
                due.append(_item(entry, entry.review_by, today))
    reviewed = _sorted([_item(e, e.updated, today) for e in entries])[:max(oldest, 0)]
    return ChapterFreshness(category, len(entries), _sorted(expired), _sorted(expiring),
                            _sorted(overdue), _sorted(due), reviewed)


def freshness_report(kb: KnowledgeBase, today: date, horizon_days: int = 90,
                     oldest: int = 3) -> FreshnessReport:
    """Per chapter (in the knowledge base's order of categories): what has expired, what
    expires within `horizon_days`, what is past or near its review date, and the `oldest`
    entries reviewed longest ago."""
    chapters = tuple(chapter_freshness(category, kb.in_category(category), today, horizon_days,
                                       oldest)
                     for category in kb.categories)
    return FreshnessReport(today, horizon_days, chapters)


def freshness_problems(kb: KnowledgeBase, today: date, lang: str = "zh-CN"
                       ) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) for `kb check`: entries past `valid_until` are errors, entries past
    `review_by` are warnings."""
    errors, warnings = [], []
    for entry in kb.entries:
        if entry.valid_until is not None and entry.valid_until < today:
            errors.append(Problem(entry.file, entry.line, t(
                "check.past_valid_until", lang, id=entry.id,
                date=entry.valid_until.isoformat())))
        if entry.review_by is not None and entry.review_by < today:
            warnings.append(Problem(entry.file, entry.line, t(
                "check.past_review_by", lang, id=entry.id, date=entry.review_by.isoformat(),
                days=(today - entry.review_by).days)))
    return errors, warnings
