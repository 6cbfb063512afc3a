"""The bundled knowledge base: coverage, citations and agreement with the guide."""
from collections import Counter
from pathlib import Path

import pytest

from knowledge.consistency import check_all
from knowledge.loader import load_knowledge_base

REPO = Path(__file__).resolve().parents[2]
AREAS = {"平台服务", "货款拖欠与债权", "合同风险", "劳动用工", "知识产权", "公司治理", "税务", "融资",
         "项目申报与认定", "经营合规"}


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base(REPO / "knowledge" / "faq")


def test_kb_check_passes_against_the_guide():
    kb, problems = check_all(REPO / "knowledge" / "faq")
    assert problems == [], [str(p) for p in problems[:5]]


def test_counts_and_areas(kb):
    assert len(kb.entries) >= 180
    per_area = Counter(e.category for e in kb.entries)
    assert set(per_area) == AREAS
    assert min(per_area.values()) >= 15


def test_every_entry_is_cited_dated_and_phrased_many_ways(kb):
    for entry in kb.entries:
        assert len(entry.alternates) >= 5, entry.id
        assert entry.source and ("《" in entry.source or "平台" in entry.source), entry.id
        assert entry.updated.year == 2026, entry.id
        assert 80 <= len(entry.answer) <= 600, entry.id
        assert len(entry.id) <= 48, entry.id  # fits Telegram's 64-byte callback data


def test_required_facts_are_stated(kb):
    text = {e.id: e.answer + e.source for e in kb.entries}
    everything = "".join(text.values())
    for fact in ("第188条", "3年", "20%", "第82条", "二倍", "第47条", "5年", "30日", "1年",
                 "15%", "4倍", "第66条", "2027年12月31日"):
        assert fact in everything, fact


def test_platform_entries_point_to_the_bot_commands(kb):
    platform = " ".join(e.answer for e in kb.entries if e.category == "平台服务")
    for command in ("/new", "/mytickets", "/human"):
        assert command in platform
