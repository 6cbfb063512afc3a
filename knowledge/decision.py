"""The three outcomes of a question: an answer (with related entries close behind), "您是不是想问",
or no answer — decided by a small logistic model of how likely the best entry is right.

The model reads signals of the ranking — the best score, its lead over the next entry, the
question's length, and the ranker's own evidence (how much of the question the best entry's
wording covers; for the semantic ranker also its cosine, the lexical score and whether the
lexical ranking agrees) — and is fitted by `kb calibrate` on realistic questions (see
calibration.py). A close runner-up no longer withholds
the answer: the best entry is answered and the runners-up within `related_gap` are offered as
related questions.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .ranking import Candidate, Ranker

BASE_FEATURES = ("score", "margin", "length")


class Decision(StrEnum):
    ANSWERED = "answered"
    SUGGESTED = "suggested"
    NO_ANSWER = "no_answer"


def features(query: str, ranked: Sequence[Candidate], evidence: dict[str, float]
             ) -> dict[str, float]:
    """Every signal the model may read, by name: the ranking's and the ranker's evidence."""
    top = ranked[0].score if ranked else 0.0
    second = ranked[1].score if len(ranked) > 1 else 0.0
    return {"score": top, "margin": top - second, "length": math.log1p(len(query)), **evidence}


@dataclass(frozen=True)
class DecisionModel:
    """P(best entry answers the question) = logistic(weights · standardised features).

    Answer at `answer_at` or above, suggest at `suggest_at` or above, otherwise no answer."""

    names: tuple[str, ...]  # the features it reads, in order
    weights: tuple[float, ...]  # intercept first, then one per feature
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    answer_at: float
    suggest_at: float
    related_gap: float  # runners-up scoring within this of the best are shown as related

    def confidence(self, signals: dict[str, float]) -> float:
        values = [signals.get(name, 0.0) for name in self.names]
        z = self.weights[0] + sum(w * (x - m) / s for w, x, m, s in
                                  zip(self.weights[1:], values, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_dict(self) -> dict:
        r = lambda xs: [round(float(x), 5) for x in xs]  # noqa: E731
        return {"features": list(self.names), "weights": r(self.weights), "mean": r(self.mean),
                "scale": r(self.scale), "answer_at": round(self.answer_at, 4),
                "suggest_at": round(self.suggest_at, 4), "related_gap": round(self.related_gap, 4)}

    @classmethod
    def from_dict(cls, data: dict) -> "DecisionModel":
        floats = lambda key: tuple(float(x) for x in data[key])  # noqa: E731
        model = cls(tuple(map(str, data["features"])), floats("weights"), floats("mean"),
                    floats("scale"), float(data["answer_at"]), float(data["suggest_at"]),
                    float(data["related_gap"]))
        if not (len(model.weights) == len(model.names) + 1 == len(model.mean) + 1
                == len(model.scale) + 1) or min(model.scale) <= 0:
            raise ValueError("malformed decision model")
        return model


# Used only for a knowledge base that was never calibrated (fitted on the bundled one).
_NAMES = Ranker.features
DEFAULT_MODELS = {
    "lexical": DecisionModel(_NAMES, (-0.4, 2.4, 0.7, 0.6, 0.3), (0.6, 0.08, 0.43, 2.8),
                             (0.16, 0.07, 0.24, 0.6), 0.8, 0.4, 0.045),
    "semantic": DecisionModel(_NAMES, (-0.4, 2.4, 0.7, 0.6, 0.3), (0.75, 0.04, 0.43, 2.8),
                              (0.08, 0.04, 0.24, 0.6), 0.8, 0.4, 0.02),
}


@dataclass(frozen=True)
class MatchResult:
    query: str
    decision: Decision
    candidates: list[Candidate] = field(default_factory=list)
    confidence: float = 0.0

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def suggestions(self) -> list[Candidate]:
        return self.candidates if self.decision is Decision.SUGGESTED else []

    @property
    def related(self) -> list[Candidate]:
        """Entries close behind a direct answer, offered under it."""
        return self.candidates[1:] if self.decision is Decision.ANSWERED else []

    @property
    def shown(self) -> list[Candidate]:
        """Every entry the user sees or can open with one tap."""
        return [] if self.decision is Decision.NO_ANSWER else self.candidates


def decide(query: str, ranked: list[Candidate], evidence: dict[str, float],
           model: DecisionModel, limit: int = 3) -> MatchResult:
    if not ranked or ranked[0].score <= 0:
        return MatchResult(query, Decision.NO_ANSWER, ranked[:1])
    p = model.confidence(features(query, ranked, evidence))
    close = [c for c in ranked[1:limit] if ranked[0].score - c.score <= model.related_gap]
    if p >= model.answer_at:
        return MatchResult(query, Decision.ANSWERED, [ranked[0], *close], p)
    if p >= model.suggest_at:
        return MatchResult(query, Decision.SUGGESTED, [ranked[0], *close] if close
                           else ranked[:limit], p)
    return MatchResult(query, Decision.NO_ANSWER, ranked[:1], p)
