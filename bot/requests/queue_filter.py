"""Which requests `/queue` lists: open ones by default, or those matching the words staff add
(status, category, assignee, period — in any order, each optional). The same on every channel.

    /queue 已解决 融资 本月        /queue 全部 @王工        /queue 未认领 2026-11
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from ..foundation.i18n import SUPPORTED, t
from ..foundation.periods import PeriodError, parse_period
from .ticket_rules import CATEGORIES, OPEN, Status

GROUPS = {  # words that name several statuses at once
    "all": set(Status), "全部": set(Status), "open": OPEN, "未办结": OPEN, "待处理": OPEN,
    "done": {Status.RESOLVED, Status.CLOSED}, "已办结": {Status.RESOLVED, Status.CLOSED},
}
UNASSIGNED = {"未认领", "unassigned", "无人负责"}
ASSIGNEE_PREFIXES = ("@", "负责人:", "负责人：", "assignee:")


class QueueFilterError(ValueError):
    """A word `/queue` does not understand; `str(error)` is the word."""


@dataclass(frozen=True)
class QueueFilter:
    statuses: frozenset[str] = frozenset(OPEN)
    category: str | None = None
    assignee: str | None = None  # a staff member's id or name
    unassigned: bool = False
    start: datetime | None = None  # filed within [start, end)
    end: datetime | None = None

    @property
    def is_default(self) -> bool:
        return self == QueueFilter()


def _named(word: str, keys, prefix: str) -> str | None:
    """The key among `keys` that `word` names: the key itself or its label in any language."""
    lowered = word.lower()
    for key in keys:
        if lowered == key or any(lowered == t(f"{prefix}.{key}", lang).lower()
                                 for lang in SUPPORTED):
            return key
    return None


def parse_queue_filter(words: list[str], tz: tzinfo, today: date) -> QueueFilter:
    statuses: set[str] = set()
    found: dict = {}
    for word in words:
        if word.lower() in GROUPS:
            statuses |= GROUPS[word.lower()]
        elif status := _named(word, list(Status), "status"):
            statuses.add(status)
        elif category := _named(word, CATEGORIES, "category"):
            found["category"] = category
        elif word.lower() in UNASSIGNED:
            found["unassigned"] = True
        elif prefix := next((p for p in ASSIGNEE_PREFIXES if word.lower().startswith(p)), None):
            if not word[len(prefix):].strip():
                raise QueueFilterError(word)
            found["assignee"] = word[len(prefix):].strip()
        else:
            try:
                period = parse_period(word, tz, today)
            except PeriodError:
                raise QueueFilterError(word) from None
            found["start"], found["end"] = period.start, period.end
    return QueueFilter(frozenset(statuses or OPEN), **found)
