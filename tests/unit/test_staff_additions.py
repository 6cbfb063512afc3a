"""The staff additions file: `extends` records in the loader, validated appends, guide imports."""
import shutil
from datetime import date
from pathlib import Path

from knowledge.additions import StaffAdditions, category_of, draft, extension, free_id
from knowledge.consistency import check_all
from knowledge.importer import import_guide
from knowledge.loader import STAFF_FILE, check_directory, load_knowledge_base

BUNDLED = Path(__file__).resolve().parents[2] / "knowledge"


def problems_of(kb_dir: Path) -> list[str]:
    kb, problems = check_directory(kb_dir, "zh-CN")
    assert (kb is None) == bool(problems)
    return [str(p) for p in problems]


def test_extends_adds_alternates_to_an_entry_of_another_file(kb_dir):
    (kb_dir / STAFF_FILE).write_text("""# 员工添加
- extends: debt-limitation-period
  alternates:
  - 对方欠钱不还怎么起诉
  - 诉讼时效是几年？
""", encoding="utf-8")
    entry = load_knowledge_base(kb_dir).get("debt-limitation-period")
    # The alternate the entry already had (up to punctuation) is skipped, not an error.
    assert entry.alternates == ("货款拖了三年多还能起诉吗", "诉讼时效是几年", "对方欠钱不还怎么起诉")
    assert entry.file.name == "debt.yaml"


def test_bad_extends_records_are_reported_with_their_line(kb_dir):
    (kb_dir / STAFF_FILE).write_text("""- extends: no-such-entry
  alternates: [新的问法]
- extends: labor-double-wage
  alternates: []
- extends: labor-double-wage
  alternates: [另一个问法]
  answer: 不应该出现
- extends: labor-double-wage
  alternates: [客户是老赖怎么查]
""", encoding="utf-8")
    found = problems_of(kb_dir)
    assert any(f"{STAFF_FILE}:1:" in p and "no-such-entry" in p for p in found)
    assert any(f"{STAFF_FILE}:4:" in p and "alternates" in p for p in found)
    assert any(f"{STAFF_FILE}:7:" in p and "未知字段“answer”" in p for p in found)
    assert any("客户是老赖怎么查" in p and "debt-dishonest-debtor" in p for p in found)


def test_extends_records_belong_to_the_staff_file_only(kb_dir):
    (kb_dir / "extra.yaml").write_text("- extends: labor-double-wage\n  alternates: [新问法]\n",
                                       encoding="utf-8")
    assert any("extra.yaml:1" in p and "未知字段“extends”" in p for p in problems_of(kb_dir))


def test_append_writes_only_what_the_loader_accepts(kb_dir):
    additions = StaffAdditions(kb_dir)
    kb, _ = additions.current()
    category, prefix = category_of(kb, "projects")
    assert (category, prefix) == ("项目申报与认定", "projects")
    assert category_of(kb, "项目申报与认定") == (category, prefix) and category_of(kb, "x") is None
    entry_id = free_id(kb, prefix)
    assert entry_id == "projects-staff-1"
    bad = draft(entry_id, "专精特新怎么申报？", ["专精特新咋申报"], "答案", "  ", date(2026, 11, 27),
                category)
    problems = additions.append(bad, "王工 /draft 2")
    assert any(STAFF_FILE in str(p) and "source" in str(p) for p in problems)
    assert not additions.path.exists()

    assert additions.append(extension("labor-double-wage", ["公司没和我签合同"]),
                            "2026-11-27 09:00 王工 (7001)\n/attach 1") == []
    good = draft(entry_id, "专精特新怎么申报？", ["专精特新咋申报"], "第一段。\n\n第二段。",
                 "《优质中小企业梯度培育管理暂行办法》", date(2026, 11, 27), category)
    assert additions.append(good, "赵主管 (7003) /draft 2") == []
    # A duplicate of what is there is refused; the file keeps both earlier records.
    before = additions.path.read_text(encoding="utf-8")
    assert additions.append(good, "again")
    text = additions.path.read_text(encoding="utf-8")
    assert text == before
    assert text.startswith("# 工作人员用 /attach") and "# 2026-11-27 09:00 王工 (7001) /attach 1\n" in text
    kb = load_knowledge_base(kb_dir)
    assert "公司没和我签合同" in kb.get("labor-double-wage").alternates
    assert kb.get(entry_id).answer == "第一段。\n\n第二段。"
    assert kb.get(entry_id).updated == date(2026, 11, 27)
    assert free_id(kb, prefix) == "projects-staff-2"


def test_guide_import_keeps_staff_additions_and_kb_check_asks_only_for_calibration(tmp_path):
    root = tmp_path / "knowledge"
    for name in ("guide", "faq"):
        shutil.copytree(BUNDLED / name, root / name)
    for name in ("synonyms.yaml", "calibration.yaml", "out_of_scope.yaml"):
        shutil.copy(BUNDLED / name, root / name)
    faq = root / "faq"
    additions = StaffAdditions(faq)
    assert additions.append(extension("debt-limitation-period", ["对方欠钱不还怎么起诉"]),
                            "王工 /attach 1") == []
    assert additions.append(draft("debt-staff-1", "欠条丢了怎么办？", [], "先找其他证据。", "《民法典》",
                                  date(2026, 11, 27), "货款拖欠与债权"), "赵主管 /draft 2") == []
    staff_text = additions.path.read_text(encoding="utf-8")

    report, problems = import_guide(root / "guide", faq)
    assert problems == [] and report.added == [] and report.updated == []
    assert additions.path.read_text(encoding="utf-8") == staff_text
    kb, problems = check_all(faq)
    assert [p.path.name for p in problems] == ["calibration.yaml"]  # stale: recalibrate
    kb, _ = check_directory(faq, "zh-CN")
    assert "对方欠钱不还怎么起诉" in kb.get("debt-limitation-period").alternates
    assert kb.get("debt-staff-1").category == "货款拖欠与债权"


def test_a_file_that_cannot_be_written_is_reported_not_raised(kb_dir):
    additions = StaffAdditions(kb_dir)
    (kb_dir / f".{STAFF_FILE}.partial").mkdir()  # writing there fails even for root
    problems = additions.append(extension("labor-double-wage", ["公司没和我签合同"]), "王工")
    assert [p.message.split("：")[0] for p in problems] == ["无法写入文件"]
    assert not additions.path.exists()
