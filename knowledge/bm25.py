"""A compact Okapi BM25 over sparse matrices, with a coverage score for rejection.

Chinese needs no dictionary here: `char_ngrams` indexes characters and character bigrams
(the Lucene CJKAnalyzer approach). Another tokenizer (e.g. jieba words) can be passed in.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

Tokenizer = Callable[[str], list[str]]


def char_ngrams(text: str) -> list[str]:
    """Characters plus overlapping character bigrams."""
    return list(text) + [text[i : i + 2] for i in range(len(text) - 1)]


class BM25Index:
    def __init__(
        self,
        docs: Sequence[str],
        tokenizer: Tokenizer = char_ngrams,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.tokenizer = tokenizer
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        lengths = np.zeros(len(docs), dtype=np.float64)
        for row, doc in enumerate(docs):
            terms = tokenizer(doc)
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
        avgdl = float(lengths.mean()) if n_docs else 1.0
        norm = k1 * (1.0 - b + b * lengths / max(avgdl, 1e-9))
        weights = tf.copy()
        row_of = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        weights.data = self.idf[tf.indices] * tf.data * (k1 + 1.0) / (tf.data + norm[row_of])
        # Term-major layout: a query touches only the rows of its own terms.
        self.weights = weights.T.tocsr()
        self.n_docs = n_docs

    def scores(self, query: str) -> tuple[np.ndarray, float]:
        """BM25 of every document, and the query's idf mass (unknown terms at max idf)."""
        terms = set(self.tokenizer(query))
        known = [self.vocab[t] for t in terms if t in self.vocab]
        mass = float(self.idf[known].sum()) + self.max_idf * (len(terms) - len(known))
        if not known:
            return np.zeros(self.n_docs), mass
        total = np.asarray(self.weights[known].sum(axis=0)).ravel()
        return total, mass

    def coverage(self, query: str) -> np.ndarray:
        """BM25 divided by the query's idf mass, capped at 1: how much of the query a doc covers."""
        total, mass = self.scores(query)
        if mass <= 0:
            return total
        return np.minimum(total / mass, 1.0)
