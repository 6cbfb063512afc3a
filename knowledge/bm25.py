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


MIN_IDF = 0.5  # terms in more than ~60 % of documents are skipped: they barely score
BIGRAM_BASE = 0x110000  # above every code point: a bigram's id cannot equal a character's


def char_ngrams(text: str) -> np.ndarray:
    """Characters plus overlapping character bigrams, as integer ids (code points, and
    first × 0x110000 + second for bigrams): numpy sorts and counts these much faster than
    strings."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return np.concatenate((codes, codes[:-1] * BIGRAM_BASE + codes[1:]))


def ngram_postings(texts: Sequence[str], doc_of_text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`char_ngrams` of many texts at once: (document id, token id) of every token.

    The texts are joined with NUL (never part of normalised text) and cut into n-grams with
    array operations: one pass over the whole knowledge base instead of one per text."""
    codes = np.frombuffer("\x00".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    gap = codes == 0
    doc = np.asarray(doc_of_text, dtype=np.int64)[np.cumsum(gap)]
    pair = ~gap[:-1] & ~gap[1:]
    tokens = np.concatenate((codes[~gap], codes[:-1][pair] * BIGRAM_BASE + codes[1:][pair]))
    return np.concatenate((doc[~gap], doc[:-1][pair])), tokens


class BM25Index:
    def __init__(self, docs: Sequence[Sequence], k1: float = 1.2, b: float = 0.75) -> None:
        """`docs`: one token sequence per document (e.g. lists of words from a tokenizer)."""
        lengths = [len(terms) for terms in docs]
        flat = np.array([term for terms in docs for term in terms] or [""])[: sum(lengths)]
        self._build(np.repeat(np.arange(len(docs)), lengths), flat, len(docs), k1, b)

    @classmethod
    def from_postings(cls, doc_ids: np.ndarray, tokens: np.ndarray, n_docs: int,
                      k1: float = 1.2, b: float = 0.75) -> "BM25Index":
        """Build from (document id, token) pairs, e.g. from `ngram_postings`."""
        index = cls.__new__(cls)
        index._build(doc_ids, tokens, n_docs, k1, b)
        return index

    def _build(self, rows: np.ndarray, flat: np.ndarray, n_docs: int, k1: float,
               b: float) -> None:
        self.k1, self.b = k1, b
        vocabulary, cols = np.unique(flat, return_inverse=True)
        self._terms = vocabulary.tolist()
        self.vocab = {term: i for i, term in enumerate(self._terms)}
        n_terms = max(len(vocabulary), 1)
        tf = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.float64), (rows, cols)), shape=(n_docs, n_terms)
        )
        tf.sum_duplicates()
        lengths = np.bincount(rows, minlength=n_docs).astype(np.float64)
        df = np.bincount(tf.indices, minlength=n_terms)
        self.idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        self.max_idf = float(self.idf.max()) if n_docs else 1.0
        self.avgdl = max(float(lengths.mean()) if n_docs else 1.0, 1e-9)
        norm = k1 * (1.0 - b + b * lengths / self.avgdl)
        weights = tf.copy()
        row_of = np.repeat(np.arange(n_docs), np.diff(tf.indptr))
        weights.data = self.idf[tf.indices] * tf.data * (k1 + 1.0) / (tf.data + norm[row_of])
        # Term-major layout: a query touches only the postings of its own terms.
        by_term = weights.T.tocsr()
        self._indptr, self._docs, self._weights = by_term.indptr, by_term.indices, by_term.data
        self.n_docs = n_docs

    def mass(self, terms: set) -> float:
        """The query's idf mass; terms the index has never seen count at the maximum idf."""
        known = [self.vocab[t] for t in terms if t in self.vocab]
        idf = self.idf[known]
        return float(idf[idf >= MIN_IDF].sum()) + self.max_idf * (len(terms) - len(known))

    def scores(self, query: Sequence) -> tuple[np.ndarray, float]:
        """BM25 of every document, and the query's idf mass."""
        terms = set(query.tolist() if isinstance(query, np.ndarray) else query)
        known = [i for i in (self.vocab.get(t) for t in terms)
                 if i is not None and self.idf[i] >= MIN_IDF]
        if not known:
            return np.zeros(self.n_docs), self.mass(terms)
        spans = [slice(self._indptr[t], self._indptr[t + 1]) for t in known]
        docs = np.concatenate([self._docs[s] for s in spans])
        weights = np.concatenate([self._weights[s] for s in spans])
        return np.bincount(docs, weights=weights, minlength=self.n_docs), self.mass(terms)

    def covered(self, query: Sequence, doc: int | Sequence) -> float:
        """Share of the query's idf mass whose terms occur in a document (an index or, for a
        document outside the index, its tokens): words of the question the entry never uses
        lower it, which tells a near-domain question from an in-scope one."""
        terms = set(query.tolist() if isinstance(query, np.ndarray) else query)
        mass = self.mass(terms)
        if mass <= 0:
            return 0.0
        if isinstance(doc, (int, np.integer)):
            present = lambda i: doc in self._docs[self._indptr[i]:self._indptr[i + 1]]  # noqa: E731
        else:
            tokens = set(doc.tolist() if isinstance(doc, np.ndarray) else doc)
            present = lambda i: self._terms[i] in tokens  # noqa: E731
        covered = sum(self.idf[i] for i in (self.vocab.get(t) for t in terms)
                      if i is not None and self.idf[i] >= MIN_IDF and present(i))
        return float(covered / mass)

    def score_tokens(self, doc: Sequence, query: Sequence) -> float:
        """BM25 of a document that is not in the index (same statistics): used to leave one
        phrasing out of its entry during calibration."""
        doc = doc.tolist() if isinstance(doc, np.ndarray) else doc
        query = query.tolist() if isinstance(query, np.ndarray) else query
        counts = Counter(doc)
        norm = self.k1 * (1.0 - self.b + self.b * len(doc) / self.avgdl)
        total = 0.0
        for term in set(query):
            tf = counts.get(term, 0)
            if tf and term in self.vocab and self.idf[self.vocab[term]] >= MIN_IDF:
                total += self.idf[self.vocab[term]] * tf * (self.k1 + 1.0) / (tf + norm)
        return total

    def coverage(self, query: Sequence) -> np.ndarray:
        """BM25 divided by the query's idf mass, capped at 1: how much of the query a doc covers."""
        total, mass = self.scores(query)
        if mass <= 0:
            return total
        return np.minimum(total / mass, 1.0)
