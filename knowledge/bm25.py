"""A compact Okapi BM25 over sparse matrices, with a coverage score for rejection.

Chinese needs no dictionary here: `char_ngrams` indexes characters and character bigrams
(the Lucene CJKAnalyzer approach). Documents and queries are given as token lists, so any
tokenizer (e.g. jieba words for a baseline) can be used.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse


def char_ngrams(text: str) -> list[str]:
    """Characters plus overlapping character bigrams."""
    return list(text) + [text[i : i + 2] for i in range(len(text) - 1)]


class BM25Index:
    def __init__(self, docs: Sequence[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        lengths = np.zeros(len(docs), dtype=np.float64)
        for row, terms in enumerate(docs):
            lengths[row] = len(terms)
            ids = [vocab.setdefault(term, len(vocab)) for term in terms]
            rows.extend([row] * len(ids))
            cols.extend(ids)
        self.vocab = vocab
        n_docs, n_terms = len(docs), max(len(vocab), 1)
        tf = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n_docs, n_terms)
        )
        tf.sum_duplicates()
        df = np.bincount(tf.indices, minlength=n_terms)
        self.idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        self.max_idf = float(self.idf.max()) if n_docs else 1.0
        self.avgdl = max(float(lengths.mean()) if n_docs else 1.0, 1e-9)
        norm = k1 * (1.0 - b + b * lengths / self.avgdl)
        weights = tf.copy()
        row_of = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        weights.data = self.idf[tf.indices] * tf.data * (k1 + 1.0) / (tf.data + norm[row_of])
        # Term-major layout: a query touches only the rows of its own terms.
        self.weights = weights.T.tocsr()
        self.n_docs = n_docs

    def mass(self, terms: set[str]) -> float:
        """The query's idf mass; terms the index has never seen count at the maximum idf."""
        known = [self.vocab[t] for t in terms if t in self.vocab]
        return float(self.idf[known].sum()) + self.max_idf * (len(terms) - len(known))

    def scores(self, query: list[str]) -> tuple[np.ndarray, float]:
        """BM25 of every document, and the query's idf mass."""
        terms = set(query)
        known = [self.vocab[t] for t in terms if t in self.vocab]
        if not known:
            return np.zeros(self.n_docs), self.mass(terms)
        return np.asarray(self.weights[known].sum(axis=0)).ravel(), self.mass(terms)

    def score_tokens(self, doc: list[str], query: list[str]) -> float:
        """BM25 of a document that is not in the index (same statistics): used to leave one
        phrasing out of its entry during calibration."""
        counts = Counter(doc)
        norm = self.k1 * (1.0 - self.b + self.b * len(doc) / self.avgdl)
        total = 0.0
        for term in set(query):
            tf = counts.get(term, 0)
            if tf and term in self.vocab:
                total += self.idf[self.vocab[term]] * tf * (self.k1 + 1.0) / (tf + norm)
        return total

    def coverage(self, query: list[str]) -> np.ndarray:
        """BM25 divided by the query's idf mass, capped at 1: how much of the query a doc covers."""
        total, mass = self.scores(query)
        if mass <= 0:
            return total
        return np.minimum(total / mass, 1.0)
