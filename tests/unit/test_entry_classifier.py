"""The entry classifier: learns the entries apart, is cached, and never sees a left-out phrasing."""
import zlib

import numpy as np
import pytest

from knowledge import classifier
from knowledge.classifier import EntryClassifier, is_cached, trained
from knowledge.loader import load_knowledge_base
from knowledge.normalize import normalize
from knowledge.ranking import CLASSIFIER_FOLDS, Phrasings, SemanticRanker


class CharacterEncoder:
    """Stands in for e5 in these mechanics tests: a unit vector of hashed characters and
    bigrams (the real model is exercised in tests/integration/test_semantic.py)."""

    cache_dir = None

    def embed(self, text: str) -> np.ndarray:
        vector = np.zeros(64, dtype=np.float32)
        for gram in list(text) + [text[i:i + 2] for i in range(len(text) - 1)]:
            vector[zlib.crc32(gram.encode()) % 64] += 1.0
        return vector / max(float(np.linalg.norm(vector)), 1e-9)

    def embed_many(self, texts, passages=False):
        return np.vstack([self.embed(t) for t in texts])

    def missing(self, texts, passages=False):
        return 0


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    monkeypatch.setattr(classifier, "_recent", {})


def clusters(seed=3):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 16))
    x = np.vstack([c + 0.3 * rng.normal(size=(20, 16)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.repeat(np.arange(3), 20), centres / np.linalg.norm(centres, axis=1, keepdims=True)


def test_classifier_tells_the_entries_apart():
    x, labels, centres = clusters()
    model = EntryClassifier.fit(x, labels, 3)
    for label, centre in enumerate(centres):
        log_p = model.log_proba(centre)
        assert int(np.argmax(log_p)) == label
        assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-5)


def test_trained_classifier_is_cached_on_disk_and_replaced_when_the_inputs_change(
        tmp_path, monkeypatch):
    x, labels, centres = clusters()
    first = trained(x, labels, 3, tmp_path)
    assert is_cached(tmp_path, x, labels)
    monkeypatch.setattr(classifier, "_recent", {})
    monkeypatch.setattr(EntryClassifier, "fit", classmethod(
        lambda cls, *a: pytest.fail("a cached classifier was trained again")))
    again = trained(x, labels, 3, tmp_path)
    assert np.allclose(again.log_proba(centres[1]), first.log_proba(centres[1]), atol=1e-5)
    monkeypatch.undo()
    edited, _, _ = clusters(seed=4)
    trained(edited, labels, 3, tmp_path)
    assert len(list(tmp_path.glob("classifier-*.npz"))) == 1
    assert not is_cached(tmp_path, x, labels)


def test_without_a_cache_directory_the_classifier_is_kept_in_memory(monkeypatch):
    x, labels, _ = clusters()
    assert not is_cached(None, x, labels)
    first = trained(x, labels, 3, None)
    assert is_cached(None, x, labels) and trained(x, labels, 3, None) is first


def test_semantic_evidence_carries_the_classifiers_view(kb_dir):
    kb = load_knowledge_base(kb_dir)
    ranker = SemanticRanker(kb, CharacterEncoder())
    query = normalize(kb.entries[0].phrasings[1])
    ranked = ranker.rank(query)
    evidence = ranker.evidence(query, ranked)
    assert 0.0 < evidence["classifier"] <= 1.0
    assert evidence["classifier_agree"] in (0.0, 1.0)
    assert ranked[0].entry.id == kb.entries[0].id and evidence["classifier_agree"] == 1.0


def test_leave_one_phrasing_out_asks_a_classifier_that_never_saw_the_phrasing(
        kb_dir, monkeypatch):
    kb = load_knowledge_base(kb_dir)
    phrasings = Phrasings(kb)
    ranker = SemanticRanker(kb, CharacterEncoder(), phrasings)
    seen: list[np.ndarray] = []
    fit = EntryClassifier.fit.__func__
    monkeypatch.setattr(EntryClassifier, "fit", classmethod(
        lambda cls, x, labels, classes: seen.append(x) or fit(cls, x, labels, classes)))
    row = 7
    held_out = ranker.classifier_for(row)
    assert held_out is not ranker.classifier and len(seen) == 1
    phrasing_rows = np.arange(len(phrasings))
    kept = phrasing_rows[phrasing_rows % CLASSIFIER_FOLDS != row % CLASSIFIER_FOLDS]
    assert row not in kept
    assert np.array_equal(seen[0], np.vstack([ranker.matrix[kept], ranker.passages]))
    assert ranker.classifier_for(row + CLASSIFIER_FOLDS) is held_out  # same fold, fitted once
    ranker.rank(normalize(phrasings.texts[row]), exclude=row)
    assert len(seen) == 1


def test_a_knowledge_base_too_big_to_train_on_ranks_without_a_classifier(kb_dir, monkeypatch):
    monkeypatch.setattr(classifier, "MAX_CELLS", 10)
    monkeypatch.setattr(EntryClassifier, "fit", classmethod(
        lambda cls, *a: pytest.fail("trained although too big")))
    kb = load_knowledge_base(kb_dir)
    phrasings = Phrasings(kb)
    encoder = CharacterEncoder()
    assert SemanticRanker.missing(kb, encoder, phrasings) == 0  # nothing to wait for
    ranker = SemanticRanker(kb, encoder, phrasings)
    assert not ranker.classifier.fitted
    query = normalize(kb.entries[0].phrasings[1])
    ranked = ranker.rank(query)
    assert ranked[0].entry.id == kb.entries[0].id
    evidence = ranker.evidence(query, ranked)
    assert evidence["classifier"] == 0.0 and evidence["classifier_agree"] == 0.0
    ranker.rank(query, exclude=3)  # leave-one-phrasing-out does not train one either
