from pathlib import Path

import yaml

from knowledge.consistency import guide_problems
from knowledge.guide import parse_chapter
from knowledge.importer import import_guide
from knowledge.loader import load_knowledge_base

CHAPTER = """# 劳动用工

导语不进入知识库。

## 试用期最长多久？ {#labor-probation}

劳动合同期限三个月以上不满一年的，试用期不超过一个月。

- 一年以上不满三年的，不超过二个月。

- **来源**：《中华人民共和国劳动合同法》第19条
- **审核**：2026-11-27
- **其他问法**：
  - 试用期能定半年吗
  - 试用期几个月合法
- **相关**：labor-wage

## 不签合同要赔双倍工资吗？ {#labor-wage}

超过一个月不满一年未订立书面劳动合同的，应当每月支付二倍工资。

- **来源**：《中华人民共和国劳动合同法》第82条
- **审核**：2026-11-27
- **其他问法**：
  - 没签合同二倍工资
"""


def make_guide(tmp_path: Path, text: str = CHAPTER) -> Path:
    guide = tmp_path / "guide"
    guide.mkdir(exist_ok=True)
    (guide / "labor.md").write_text(text, encoding="utf-8")
    return guide


def test_parse_chapter(tmp_path):
    chapter, problems = parse_chapter(make_guide(tmp_path) / "labor.md", "zh-CN")
    assert problems == []
    first, second = chapter.entries
    assert first.id == "labor-probation" and first.category == "劳动用工"
    assert first.answer.endswith("不超过二个月。") and "导语" not in first.answer
    assert first.alternates == ["试用期能定半年吗", "试用期几个月合法"]
    assert first.follow_ups == ["labor-wage"] and first.updated.isoformat() == "2026-11-27"
    assert second.line == 18


def test_bad_heading_and_missing_source_are_reported_with_lines(tmp_path):
    text = CHAPTER.replace("{#labor-wage}", "").replace(
        "- **来源**：《中华人民共和国劳动合同法》第19条\n", "")
    _, problems = parse_chapter(make_guide(tmp_path, text) / "labor.md", "zh-CN")
    messages = [str(p) for p in problems]
    assert any("labor.md:17:" in m for m in messages)
    assert any("labor.md:5:" in m and "labor-probation" in m for m in messages)


def test_import_then_reimport_keeps_staff_alternates_and_reports_removals(tmp_path):
    guide, faq = make_guide(tmp_path), tmp_path / "faq"
    report, problems = import_guide(guide, faq)
    assert problems == [] and sorted(report.added) == ["labor-probation", "labor-wage"]
    kb = load_knowledge_base(faq)
    assert kb.get("labor-probation").alternates == ("试用期能定半年吗", "试用期几个月合法")

    # Staff add an alternate in the YAML; the guide's answer is edited; an entry is removed.
    data = yaml.safe_load((faq / "labor.yaml").read_text(encoding="utf-8"))
    data[0]["alternates"].append("试用期最长几个月")
    (faq / "labor.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    edited = CHAPTER.replace("不超过一个月。", "不得超过一个月。").split("## 不签合同")[0]
    report, problems = import_guide(make_guide(tmp_path, edited), faq)
    assert problems == [] and report.updated == ["labor-probation"]
    assert report.removed == ["labor-wage"]
    kb = load_knowledge_base(faq)
    assert "试用期最长几个月" in kb.get("labor-probation").alternates
    assert "不得超过一个月" in kb.get("labor-probation").answer
    assert kb.get("labor-wage") is not None  # kept, not silently dropped


def test_check_flags_guide_and_yaml_disagreement(tmp_path):
    guide, faq = make_guide(tmp_path), tmp_path / "faq"
    import_guide(guide, faq)
    assert guide_problems(load_knowledge_base(faq), guide, "zh-CN") == []
    text = (faq / "labor.yaml").read_text(encoding="utf-8")
    (faq / "labor.yaml").write_text(text.replace("第82条", "第83条"), encoding="utf-8")
    problems = guide_problems(load_knowledge_base(faq), guide, "zh-CN")
    assert len(problems) == 1 and "labor-wage" in str(problems[0])


MARKED = CHAPTER.replace("""- **审核**：2026-11-27
- **其他问法**：
  - 试用期能定半年吗""", """- **审核**：2026-11-27
- **风险**：高
- **有效期至**：2027-12-31
- **复核**：2027-06-30
- **其他问法**：
  - 试用期能定半年吗""")


def test_markers_are_parsed_imported_and_loaded(tmp_path):
    chapter, problems = parse_chapter(make_guide(tmp_path, MARKED) / "labor.md", "zh-CN")
    assert problems == []
    first, second = chapter.entries
    assert (first.risk, first.valid_until.isoformat(), first.review_by.isoformat()) == (
        "high", "2027-12-31", "2027-06-30")
    assert (second.risk, second.valid_until, second.review_by) == (None, None, None)
    faq = tmp_path / "faq"
    import_guide(tmp_path / "guide", faq)
    data = yaml.safe_load((faq / "labor.yaml").read_text(encoding="utf-8"))
    assert data[0]["risk"] == "high" and data[0]["valid_until"].isoformat() == "2027-12-31"
    assert "risk" not in data[1] and "review_by" not in data[1]
    entry = load_knowledge_base(faq).get("labor-probation")
    assert entry.risk == "high" and entry.review_by.isoformat() == "2027-06-30"
    assert guide_problems(load_knowledge_base(faq), tmp_path / "guide", "zh-CN") == []


def test_bad_markers_in_the_guide_are_reported_with_lines(tmp_path):
    text = MARKED.replace("- **风险**：高", "- **风险**：中").replace("2027-12-31", "2027-13-01")
    _, problems = parse_chapter(make_guide(tmp_path, text) / "labor.md", "zh-CN")
    messages = [str(p) for p in problems]
    assert any("labor.md:13:" in m and "中" in m for m in messages)
    assert any("labor.md:14:" in m and "2027-13-01" in m for m in messages)


def test_check_requires_a_referral_for_high_risk_and_reports_freshness(tmp_path):
    from datetime import date

    from knowledge.consistency import check_all
    from knowledge.referral import referral_line

    guide, faq = make_guide(tmp_path, MARKED), tmp_path / "faq"
    import_guide(guide, faq)
    warned = []
    _, problems = check_all(faq, guide, today=date(2027, 7, 1), warn=warned.extend)
    messages = [str(p) for p in problems]
    assert any("labor.yaml:" in m and "labor-probation" in m and "建议" in m for m in messages)
    assert [w.message.split("（")[0] for w in warned] == ["条目 labor-probation 应在 2027-06-30 前复核"]
    assert not any("到期" in m for m in messages)
    _, problems = check_all(faq, guide, today=date(2028, 1, 1), warn=None)
    assert any("labor-probation" in str(p) and "2027-12-31" in str(p) for p in problems)

    referral = "建议先核对合同期限，拿不准的咨询当地人社局或发送 /human 转人工。"
    assert referral_line(f"正文。\n\n{referral}") == referral
    assert referral_line("建议入职当天就签。") is None  # names nobody to ask
    assert referral_line("请咨询律师。") is None          # not a 建议 line
    text = MARKED.replace("- 一年以上不满三年的，不超过二个月。",
                          f"- 一年以上不满三年的，不超过二个月。\n\n{referral}")
    import_guide(make_guide(tmp_path, text), faq)
    _, problems = check_all(faq, guide, today=date(2027, 7, 1), warn=None)
    assert not any("建议" in str(p) for p in problems)
