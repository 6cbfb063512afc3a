from pathlib import Path

import pytest

from knowledge.loader import check_directory, load_knowledge_base
from knowledge.problems import KnowledgeBaseError


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def problems_of(kb_dir: Path) -> list[str]:
    kb, problems = check_directory(kb_dir, "zh-CN")
    assert (kb is None) == bool(problems)
    return [str(p) for p in problems]


def test_fixture_loads(kb_dir):
    kb = load_knowledge_base(kb_dir)
    assert len(kb.entries) == 6
    assert kb.get("labor-double-wage").source.startswith("《中华人民共和国劳动合同法》")
    assert kb.synonyms.expand("高企") == "高企高新技术企业"


ENTRY = """- id: {id}
  question: {q}
  alternates: [{alt}]
  answer: 答案内容
  source: 某法第1条
  updated: {updated}
  category: 测试
"""


def test_duplicate_id_reports_both_places(kb_dir):
    write(kb_dir / "extra.yaml", ENTRY.format(id="labor-double-wage", q="新问题", alt="别的问法",
                                              updated="2026-01-01"))
    found = problems_of(kb_dir)
    assert any("extra.yaml:1" in p and "重复的 id“labor-double-wage”" in p and "labor.yaml" in p
               for p in found)


def test_same_phrasing_in_two_entries(kb_dir):
    write(kb_dir / "extra.yaml", ENTRY.format(id="x-one", q="新问题", alt="诉讼时效是几年！",
                                              updated="2026-01-01"))
    assert any("诉讼时效是几年" in p and "x-one" in p and "debt-limitation-period" in p
               for p in problems_of(kb_dir))


def test_empty_answer_bad_date_unknown_field_and_follow_up(kb_dir):
    write(kb_dir / "extra.yaml", """- id: x-one
  question: 新问题
  answer: "  "
  source: 某法
  updated: 2026-13-45
  category: 测试
  follow_up: [nothing]
- id: x-two
  question: 另一个问题
  answer: 有答案
  source: 某法
  updated: 2026-01-01
  category: 测试
  follow_ups: [no-such-entry]
""")
    found = problems_of(kb_dir)
    assert any(p.endswith("extra.yaml:3: 缺少或为空：answer") for p in found)
    assert any("extra.yaml:5:" in p and "2026-13-45" in p for p in found)
    assert any("extra.yaml:7:" in p and "follow_up" in p for p in found)
    assert any("x-two" in p and "no-such-entry" in p for p in found)


def test_malformed_yaml_names_the_line(kb_dir):
    write(kb_dir / "broken.yaml", "- id: a\n  question: [unclosed\n  answer: x\n")
    found = problems_of(kb_dir)
    assert len(found) == 1 and "broken.yaml:" in found[0] and "YAML" in found[0]


def test_load_raises_with_all_problems(kb_dir):
    write(kb_dir / "broken.yaml", "just a string")
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(kb_dir)
    assert "broken.yaml:1" in str(info.value)


def test_synonym_conflict_is_reported(kb_root, kb_dir):
    write(kb_root / "synonyms.yaml", "高新技术企业: [高企]\n科技型中小企业: [高企]\n")
    assert any("高企" in p for p in problems_of(kb_dir))


def test_a_synonym_of_one_character_once_normalised_is_refused(kb_root, kb_dir):
    write(kb_root / "synonyms.yaml", "注册商标标记: [R标, ®标]\n")
    assert any("®标" in p and "“标”" in p for p in problems_of(kb_dir))


MARKED = """- id: x-one
  question: 新问题
  answer: 有答案
  source: 某法
  updated: 2026-01-01
  category: 测试
  risk: {risk}
  valid_until: {valid_until}
  review_by: {review_by}
"""


def test_markers_are_validated(kb_dir):
    write(kb_dir / "extra.yaml", MARKED.format(risk="medium", valid_until="2027-02-30",
                                               review_by="soon"))
    found = problems_of(kb_dir)
    assert any("extra.yaml:7:" in p and "medium" in p for p in found)
    assert any("extra.yaml:8:" in p and "valid_until" in p for p in found)
    assert any("extra.yaml:9:" in p and "review_by" in p and "soon" in p for p in found)


def test_markers_load(kb_dir):
    write(kb_dir / "extra.yaml", MARKED.format(risk="high", valid_until="2027-12-31",
                                               review_by='"2027-06-30"'))
    entry = load_knowledge_base(kb_dir).get("x-one")
    assert (entry.risk, str(entry.valid_until), str(entry.review_by)) == (
        "high", "2027-12-31", "2027-06-30")
    assert entry.to_dict()["valid_until"] == "2027-12-31"
