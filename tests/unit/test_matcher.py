from pathlib import Path

import pytest

from bot.answering.assistant import Assistant, InputProblem
from knowledge.calibration import read_calibration
from knowledge.decision import Decision, DecisionModel, decide
from knowledge.loader import load_knowledge_base
from knowledge.matcher import Matcher
from knowledge.ranking import Candidate
from knowledge.service import KnowledgeService


@pytest.fixture
def matcher(kb_dir: Path) -> Matcher:
    return Matcher(load_knowledge_base(kb_dir), calibration=read_calibration(kb_dir))


def test_fixture_calibration_is_current(matcher):
    assert matcher.calibrated


@pytest.mark.parametrize("question, expected", [
    ("试用期最长能约定几个月", "labor-probation-length"),
    ("請問高企認定的條件？", "projects-hitech-conditions"),
    ("客户是老赖，怎么查", "debt-dishonest-debtor"),
])
def test_confident_answers(matcher, question, expected):
    result = matcher.match(question)
    assert result.decision is Decision.ANSWERED
    assert result.best.entry.id == expected


def test_synonym_expansion_reaches_the_canonical_entry(matcher):
    result = matcher.match("科小")
    assert result.best.entry.id == "projects-tech-sme"


def test_out_of_scope_gets_no_answer(matcher):
    assert matcher.match("我想问问明天会不会下雨呢").decision is Decision.NO_ANSWER


def entry(kb_dir, entry_id):
    return load_knowledge_base(kb_dir).get(entry_id)


def test_decide_three_zones_and_related_entries(kb_dir):
    a, b, c = (entry(kb_dir, i) for i in ("labor-probation-length", "labor-double-wage",
                                           "debt-limitation-period"))
    # Confidence grows with the score alone here: 0.5 at a score of 0.6.
    model = DecisionModel(("score", "margin", "coverage", "length"), (0.0, 1.0, 0.0, 0.0, 0.0),
                          (0.6, 0.0, 0.0, 0.0),
                          (0.05, 1.0, 1.0, 1.0), answer_at=0.8, suggest_at=0.3, related_gap=0.06)
    ranked = [Candidate(a, 0.9, "x"), Candidate(b, 0.5, "y"), Candidate(c, 0.3, "z")]
    answered = decide("q", ranked, {"coverage": 1.0}, model)
    assert answered.decision is Decision.ANSWERED and answered.related == []
    close = [Candidate(a, 0.9, "x"), Candidate(b, 0.86, "y"), Candidate(c, 0.45, "z")]
    with_related = decide("q", close, {"coverage": 1.0}, model)
    assert with_related.decision is Decision.ANSWERED
    assert [r.entry.id for r in with_related.related] == [b.id]
    middle = [Candidate(a, 0.6, "x"), Candidate(b, 0.5, "y"), Candidate(c, 0.45, "z")]
    suggested = decide("q", middle, {"coverage": 1.0}, model)
    assert suggested.decision is Decision.SUGGESTED
    assert [s.entry.id for s in suggested.suggestions] == [a.id, b.id, c.id]
    low = decide("q", [Candidate(a, 0.45, "x")], {"coverage": 1.0}, model)
    assert low.decision is Decision.NO_ANSWER and low.suggestions == [] and low.shown == []


@pytest.mark.parametrize("text, problem", [
    ("", InputProblem.EMPTY), ("   \n", InputProblem.EMPTY), ("😀😀😀", InputProblem.EMPTY),
    ("？！。", InputProblem.EMPTY), ("欠款" * 50_000, InputProblem.TOO_LONG),
])
def test_bad_input_is_refused_without_matching(kb_dir, text, problem):
    service = KnowledgeService(kb_dir, semantic="off")
    reply = Assistant(service, None, max_question_chars=2000).answer_only(text)
    assert reply.problem is problem and reply.result is None


def test_control_characters_and_mixed_scripts_still_match(kb_dir):
    service = KnowledgeService(kb_dir, semantic="off")
    reply = Assistant(service, None, 2000).answer_only("\x07试用期\x00最长 can 约定多久?")
    assert reply.entry is not None and reply.entry.id == "labor-probation-length"


def test_failed_reload_keeps_last_good_knowledge_base(kb_dir):
    service = KnowledgeService(kb_dir, semantic="off")
    service.load()
    (kb_dir / "broken.yaml").write_text("- id: [\n", encoding="utf-8")
    result = service.reload()
    assert not result.ok and result.entries == 6
    assert any("broken.yaml" in str(p) for p in result.problems)
    assert service.matcher.match("试用期最长可以约定多久").best.entry.id == "labor-probation-length"
    (kb_dir / "broken.yaml").unlink()
    (kb_dir / "more.yaml").write_text(
        "- id: tax-small\n  question: 小规模纳税人增值税怎么减免\n  answer: 月销售额10万元以下免征。\n"
        "  source: 财政部 税务总局公告2023年第19号\n  updated: 2026-11-27\n  category: 税务\n",
        encoding="utf-8")
    assert service.reload().ok
    assert service.kb.get("tax-small") is not None
