"""Review of the questions the assistant could not answer well, turned into knowledge.

A logged question needs review when it got no answer, only suggestions ("您是不是想问"), a
direct answer logged with a confidence under REVIEW_BELOW, or a 👎. Questions whose wording has since become a phrasing of an entry are left out (they were
attached or drafted). Near-duplicates are grouped (knowledge.grouping), the most asked first.

Each staff member's last listing is kept in memory, so /attach and /draft use the groups they
saw even if questions arrive meanwhile; after a restart they list again. A staff member's
listings never reuse a group number: a number from an earlier listing is refused as stale
instead of naming another group. Attached phrasings and drafts go to the staff additions file
under an addition number (/undo_addition takes one out again) and take effect on /reload.
Until `kb calibrate` is run again the matcher keeps the stored decision model and logs that
recalibration is due.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from knowledge.additions import StaffAdditions, category_of, draft, extension, free_id
from knowledge.decision import DEFAULT_MODELS
from knowledge.grouping import group_texts
from knowledge.model import KnowledgeBase
from knowledge.normalize import normalize, normalize_many
from knowledge.problems import Problem
from knowledge.service import KnowledgeService
from storage.questions import QuestionLogRepository, ReviewQuestion

from ..foundation.periods import Period
from ..requests.staff_directory import Actor

REVIEW_BELOW = 0.9  # direct answers the model gave less than a 90 % chance of being right
MAX_QUESTIONS = 20_000  # the newest of a period; a month is grouped in well under a second


@dataclass(frozen=True)
class QuestionGroup:
    questions: tuple[ReviewQuestion, ...]
    texts: tuple[str, ...]  # one wording per distinct normalised text, the most asked first
    candidate: str | None  # the entry the matcher most often came closest to

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def disliked(self) -> int:
        return sum(q.disliked for q in self.questions)


@dataclass(frozen=True)
class Listing:
    period: Period
    groups: list[QuestionGroup]
    truncated_at: int | None  # when the period had more: only this many, the newest, grouped
    first: int = 1  # the number of the first group; each listing continues after the last

    def numbered(self, start: int = 0, stop: int | None = None
                 ) -> list[tuple[int, QuestionGroup]]:
        """Groups `start:stop` (by position) with their numbers."""
        return [(self.first + start + i, g) for i, g in enumerate(self.groups[start:stop])]


@dataclass(frozen=True)
class Change:
    """What /attach or /draft did: `reason` is empty when the file was written."""

    reason: str = ""
    entry_id: str = ""
    texts: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    params: dict = field(default_factory=dict)
    addition: int | None = None  # its number in the staff additions file

    @property
    def ok(self) -> bool:
        return not self.reason


def _wording(questions: list[ReviewQuestion]) -> str:
    """The most frequent wording (the earliest on a tie), on one line."""
    counts = Counter(" ".join(q.text.split()) for q in sorted(questions, key=lambda q: q.id))
    return counts.most_common(1)[0][0]


def build_groups(questions: list[ReviewQuestion], known: set[str]) -> list[QuestionGroup]:
    """Group the questions whose normalised text is not in `known`, biggest group first."""
    by_text: dict[str, list[ReviewQuestion]] = {}
    for question in questions:
        if question.normalized not in known:
            by_text.setdefault(question.normalized, []).append(question)
    groups = []
    for texts in group_texts({text: len(rows) for text, rows in by_text.items()}):
        rows = [q for text in texts for q in by_text[text]]
        entries = Counter(q.entry_id for q in rows if q.entry_id)
        groups.append(QuestionGroup(tuple(rows), tuple(_wording(by_text[t]) for t in texts),
                                    entries.most_common(1)[0][0] if entries else None))
    return sorted(groups, key=lambda g: -g.count)  # stable: ties keep the leaders' order


def phrasings(kb: KnowledgeBase) -> set[str]:
    return set(normalize_many([p for entry in kb.entries for p in entry.phrasings]))


class QuestionReview:
    def __init__(self, questions: QuestionLogRepository, knowledge: KnowledgeService) -> None:
        self.questions = questions
        self.knowledge = knowledge
        self.additions = StaffAdditions(knowledge.directory)
        self._listings: dict[str, Listing] = {}
        self._writing = asyncio.Lock()

    def answered_below(self) -> dict[str, float]:
        """Per matcher mode, the logged confidence under which a direct answer counts as
        low-confidence (the decision model's chance that it was right)."""
        return {mode: REVIEW_BELOW for mode in DEFAULT_MODELS}

    async def listing(self, actor: Actor, period: Period) -> Listing:
        """Group the period's questions for `actor` and remember the listing."""
        rows = await self.questions.needing_review(period.start, period.end,
                                                   self.answered_below(), MAX_QUESTIONS + 1)
        kb = self.knowledge.kb
        groups = await asyncio.to_thread(lambda: build_groups(rows[:MAX_QUESTIONS], phrasings(kb)))
        previous = self._listings.get(actor.id)
        first = previous.first + len(previous.groups) if previous else 1
        listing = Listing(period, groups, MAX_QUESTIONS if len(rows) > MAX_QUESTIONS else None,
                          first)
        self._listings[actor.id] = listing
        return listing

    def last(self, actor: Actor) -> Listing | None:
        return self._listings.get(actor.id)

    def group(self, actor: Actor, number: int) -> QuestionGroup | Change:
        listing = self._listings.get(actor.id)
        if listing is None:
            return Change("no_listing")
        last = listing.first + len(listing.groups) - 1
        if 1 <= number < listing.first:
            return Change("stale_group", params={"number": number, "first": listing.first,
                                                 "last": last})
        if not listing.first <= number <= last:
            return Change("no_group", params={"number": number, "count": len(listing.groups),
                                              "first": listing.first, "last": last})
        return listing.groups[number - listing.first]

    async def attach(self, actor: Actor, number: int, entry_id: str, now: datetime) -> Change:
        """Add the wordings of group `number` to the entry as alternates."""
        group = self.group(actor, number)
        if isinstance(group, Change):
            return group
        note = f"{now:%Y-%m-%d %H:%M} {actor.name} ({actor.id}) /attach {number} {entry_id}"
        async with self._writing:
            return await asyncio.to_thread(self._attach, group, entry_id, note)

    async def undo(self, number: int) -> Change:
        """Take addition `number` (an /attach or /draft) out of the staff additions file."""
        async with self._writing:
            record, problems = await asyncio.to_thread(self.additions.remove, number)
        if problems:
            return Change("invalid", problems=tuple(problems), addition=number)
        if record is None:
            return Change("no_addition", params={"addition": number})
        texts = tuple(record.get("alternates") or ())
        return Change("", record.get("extends") or record.get("id") or "", texts,
                      addition=number, params={"drafted": "id" in record})

    def _attach(self, group: QuestionGroup, entry_id: str, note: str) -> Change:
        kb, problems = self.additions.current()
        if kb is None:
            return Change("invalid", problems=tuple(problems))
        entry = kb.get(entry_id)
        if entry is None:
            return Change("no_entry", entry_id)
        taken = {normalize(p) for p in entry.phrasings}
        texts = [t for t in group.texts if normalize(t) not in taken]
        if not texts:
            return Change("nothing_new", entry_id)
        number = self.additions.next_number()
        problems = self.additions.append(extension(entry_id, texts), note, number)
        return Change("invalid" if problems else "", entry_id, tuple(texts), tuple(problems),
                      addition=number)

    async def draft(self, actor: Actor, number: int, category: str, question: str, answer: str,
                    source: str, now: datetime) -> Change:
        """A new entry answering group `number`, its wordings as alternates."""
        group = self.group(actor, number)
        if isinstance(group, Change):
            return group
        note = f"{now:%Y-%m-%d %H:%M} {actor.name} ({actor.id}) /draft {number}"
        async with self._writing:
            return await asyncio.to_thread(self._draft, group, category, question, answer,
                                           source, now, note)

    def _draft(self, group: QuestionGroup, category: str, question: str, answer: str,
               source: str, now: datetime, note: str) -> Change:
        kb, problems = self.additions.current()
        if kb is None:
            return Change("invalid", problems=tuple(problems))
        found = category_of(kb, category)
        if found is None:
            return Change("no_category", params={"categories": "、".join(kb.categories)})
        name, prefix = found
        entry_id = free_id(kb, prefix)
        texts = [t for t in group.texts if normalize(t) != normalize(question)]
        # The loader refuses a review date after the host's today, which may lag our zone's.
        updated = min(now.date(), date.today())
        record = draft(entry_id, question, texts, answer, source, updated, name)
        number = self.additions.next_number()
        problems = self.additions.append(record, note, number)
        return Change("invalid" if problems else "", entry_id, tuple(texts), tuple(problems),
                      addition=number)
