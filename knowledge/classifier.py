"""Which entry a question belongs to, learned from the entries' own wording.

A softmax regression over e5 embeddings, trained on every entry's phrasings and passage. The
nearest phrasing's cosine says how close a question comes to *one* phrasing; the classifier has
seen all of an entry's phrasings against all of its neighbours' and learns which directions of
the embedding tell them apart (辞退 notice vs resignation notice). Its probability for the best
entry is a decision feature, and 0.005 × its log-probability part of the semantic score.
Measured with and without it (`make eval`, thresholds for ≤ 1.5 % wrong answers): on the
development split's blind questions, cross-validated, 64.0 → 69.5 % direct and correct at the
same 1.5 % wrong; on the test split 63.6 → 68.9 %, wrong 1.1 → 2.7 %. A classifier over
character n-grams measured no better and trained six times slower; adding the development
questions to its training rows (cross-fitted) gained under one point.

Training takes about 20 s for the bundled knowledge base on two cores (L-BFGS from zero, so the
same inputs give the same model; part of the first start's warm-up, the lexical matcher answering
meanwhile) and is cached beside the embeddings, keyed by a hash of its inputs.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

log = logging.getLogger(__name__)

L2 = 1e-5  # weight penalty; 1e-4 and 3e-5 measured slightly worse on the development split
TEMPERATURE = 20.0  # embeddings are unit vectors: scaled so that small weights can separate
MAX_ITERATIONS = 300
# Training rows × entries above which no classifier is trained: each step holds a few float64
# matrices of that size (the bundled guide: 6,708 × 241 = 1.6 M, 24 s; at this limit ~250 MB and
# a few minutes). A larger knowledge base ranks and decides without it (`fitted` False).
MAX_CELLS = 10_000_000


class EntryClassifier:
    def __init__(self, weights: np.ndarray, bias: np.ndarray, fitted: bool = True) -> None:
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.fitted = fitted

    @classmethod
    def absent(cls, classes: int) -> "EntryClassifier":
        """Stands in where none is trained: the same log-probability for every entry (and no
        weight matrix held for a knowledge base that was too big for one)."""
        return cls(np.zeros((0, classes)), np.zeros(classes), fitted=False)

    @classmethod
    def fit(cls, x: np.ndarray, labels: np.ndarray, classes: int) -> "EntryClassifier":
        """Multinomial logistic regression (L2-penalised) on rows `x` labelled 0..classes-1."""
        n, d = x.shape
        xs = x.astype(np.float64) * TEMPERATURE
        target = np.zeros((n, classes))
        target[np.arange(n), labels] = 1.0

        def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
            weights, bias = theta[:d * classes].reshape(d, classes), theta[d * classes:]
            z = xs @ weights + bias
            z -= z.max(axis=1, keepdims=True)
            log_total = np.log(np.exp(z).sum(axis=1))
            loss = -(z[np.arange(n), labels] - log_total).mean() + L2 * (weights ** 2).sum()
            g = (np.exp(z - log_total[:, None]) - target) / n
            return loss, np.concatenate([(xs.T @ g + 2 * L2 * weights).ravel(), g.sum(axis=0)])

        found = minimize(loss_and_gradient, np.zeros(d * classes + classes), jac=True,
                         method="L-BFGS-B", options={"maxiter": MAX_ITERATIONS})
        return cls(found.x[:d * classes].reshape(d, classes), found.x[d * classes:])

    def log_proba(self, vector: np.ndarray) -> np.ndarray:
        """Log-probability of every entry for one embedded question."""
        if not self.fitted:
            return np.full(len(self.bias), -np.log(max(len(self.bias), 1)), dtype=np.float32)
        z = (vector * TEMPERATURE) @ self.weights + self.bias
        z = z - z.max()
        return z - np.log(np.exp(z).sum())


_recent: dict[str, EntryClassifier] = {}  # by digest: also serves encoders without a cache dir


def _digest(x: np.ndarray, labels: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(x, dtype=np.float32).tobytes()
                        + np.ascontiguousarray(labels, dtype=np.int64).tobytes()
                        + f"{L2}/{TEMPERATURE}/{MAX_ITERATIONS}".encode()).hexdigest()[:20]


def too_big(x: np.ndarray, classes: int) -> bool:
    return len(x) * classes > MAX_CELLS


def is_cached(cache_dir: Path | None, x: np.ndarray, labels: np.ndarray) -> bool:
    """Whether `trained` can answer without training (also true where none would be)."""
    if too_big(x, int(labels.max()) + 1 if len(labels) else 0):
        return True
    digest = _digest(x, labels)
    return digest in _recent or (cache_dir is not None
                                 and (cache_dir / f"classifier-{digest}.npz").exists())


def trained(x: np.ndarray, labels: np.ndarray, classes: int,
            cache_dir: Path | None) -> EntryClassifier:
    """The classifier for these inputs: from memory or the cache, or fitted and then cached
    (older classifiers of an edited knowledge base are removed)."""
    if too_big(x, classes):
        log.info("no entry classifier: %d rows × %d entries is over %d", len(x), classes,
                 MAX_CELLS)
        return EntryClassifier.absent(classes)
    digest = _digest(x, labels)
    if digest in _recent:
        return _recent[digest]
    path = cache_dir / f"classifier-{digest}.npz" if cache_dir is not None else None
    model = None
    if path is not None and path.exists():
        try:
            with np.load(path) as data:
                model = EntryClassifier(data["weights"], data["bias"])
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable classifier cache %s: %s", path, exc)
    if model is None:
        log.info("training the entry classifier on %d rows", len(x))
        model = EntryClassifier.fit(x, labels, classes)
        if path is not None:
            _write(path, model)
    if len(_recent) >= 4:
        _recent.pop(next(iter(_recent)))
    _recent[digest] = model
    return model


def _write(path: Path, model: EntryClassifier) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as handle:
        np.savez(handle, weights=model.weights, bias=model.bias)
    os.replace(tmp, path)
    for old in path.parent.glob("classifier-*.npz"):
        if old != path:
            old.unlink(missing_ok=True)
