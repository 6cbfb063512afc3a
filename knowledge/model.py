"""Knowledge-base entries and the loaded knowledge base."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .synonyms import Synonyms


@dataclass(frozen=True)
class Entry:
    id: str
    question: str
    answer: str
    source: str
    updated: date
    category: str
    alternates: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()
    # Issue 17: "high" when the advice depends on the facts of the case (the answer must then
    # carry a referral line, see knowledge/referral.py); the end date of the policy the answer
    # rests on; the date by which staff should review it (a pending change).
    risk: str | None = None
    valid_until: date | None = None
    review_by: date | None = None
    file: Path | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The canonical question first, then the alternates."""
        return (self.question, *self.alternates)

    def to_dict(self) -> dict:
        data = {
            "id": self.id,
            "question": self.question,
            "alternates": list(self.alternates),
            "answer": self.answer,
            "source": self.source,
            "updated": self.updated.isoformat(),
            "category": self.category,
        }
        if self.follow_ups:
            data["follow_ups"] = list(self.follow_ups)
        if self.risk:
            data["risk"] = self.risk
        if self.valid_until:
            data["valid_until"] = self.valid_until.isoformat()
        if self.review_by:
            data["review_by"] = self.review_by.isoformat()
        return data


@dataclass(frozen=True)
class KnowledgeBase:
    directory: Path
    entries: tuple[Entry, ...]
    synonyms: Synonyms = field(default_factory=Synonyms)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)  # type: ignore[attr-defined]

    @property
    def categories(self) -> list[str]:
        seen: dict[str, None] = {}
        for entry in self.entries:
            seen.setdefault(entry.category, None)
        return list(seen)

    def in_category(self, category: str) -> list[Entry]:
        return [e for e in self.entries if e.category == category]

    @property
    def fingerprint(self) -> str:
        """Content hash of the phrasings and synonyms: calibration and caches are keyed by it."""
        payload = json.dumps(
            [[e.id, *e.phrasings] for e in self.entries] + [sorted(self.synonyms.variants.items())],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
