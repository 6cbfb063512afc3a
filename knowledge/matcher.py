"""The matcher: normalise a question, rank the entries, decide."""
from __future__ import annotations

from .calibration import Calibration
from .decision import DEFAULT_MODELS, DecisionModel, MatchResult, decide
from .model import KnowledgeBase
from .normalize import normalize
from .ranking import LexicalRanker, Phrasings, SemanticRanker


class Matcher:
    def __init__(self, kb: KnowledgeBase, encoder=None, calibration: Calibration | None = None,
                 phrasings: Phrasings | None = None):
        self.kb = kb
        self.ranker = (SemanticRanker(kb, encoder, phrasings) if encoder is not None
                       else LexicalRanker(kb, phrasings))
        self.model: DecisionModel = (calibration.for_ranker(self.ranker.name)
                                     if calibration is not None
                                     else DEFAULT_MODELS[self.ranker.name])
        self.calibrated = calibration is not None and calibration.fingerprint == kb.fingerprint

    @property
    def mode(self) -> str:
        return self.ranker.name

    def match(self, question: str) -> MatchResult:
        query = normalize(question)
        return self.decide(query)

    def decide(self, query: str) -> MatchResult:
        """`query` already normalised."""
        ranked = self.ranker.rank(query, limit=3)
        return decide(query, ranked, self.ranker.evidence(query, ranked), self.model)
