"""The three outcomes of a question: a confident answer, "您是不是想问", or no answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .ranking import Candidate


class Decision(StrEnum):
    ANSWERED = "answered"
    SUGGESTED = "suggested"
    NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class Thresholds:
    """Answer when the best score ≥ `high` and leads the next entry by ≥ `margin`;
    suggest the entries scoring ≥ `low`; otherwise no answer."""

    high: float
    low: float
    margin: float

    def to_dict(self) -> dict:
        return {"high": round(self.high, 4), "low": round(self.low, 4),
                "margin": round(self.margin, 4)}


# Used only for a knowledge base that was never calibrated (values from the bundled one).
DEFAULT_THRESHOLDS = {
    "lexical": Thresholds(high=0.67, low=0.61, margin=0.08),
    "semantic": Thresholds(high=0.86, low=0.83, margin=0.03),
}


@dataclass(frozen=True)
class MatchResult:
    query: str
    decision: Decision
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def suggestions(self) -> list[Candidate]:
        return self.candidates if self.decision is Decision.SUGGESTED else []


def decide(query: str, ranked: list[Candidate], th: Thresholds, limit: int = 3) -> MatchResult:
    if not ranked or ranked[0].score < th.low:
        return MatchResult(query, Decision.NO_ANSWER, ranked[:1])
    top = ranked[0].score
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if top >= th.high and top - runner_up >= th.margin:
        return MatchResult(query, Decision.ANSWERED, ranked[:1])
    return MatchResult(query, Decision.SUGGESTED, [c for c in ranked[:limit] if c.score >= th.low])
