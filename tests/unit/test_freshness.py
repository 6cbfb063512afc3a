"""Freshness of the knowledge base (issue 17): pure functions of entries and a fixed date."""
from datetime import date
from pathlib import Path

from knowledge.freshness import freshness_problems, freshness_report
from knowledge.model import Entry, KnowledgeBase

TODAY = date(2027, 11, 15)


def entry(entry_id: str, category: str = "税务", updated: str = "2026-12-06",
          valid_until: str | None = None, review_by: str | None = None) -> Entry:
    return Entry(id=entry_id, question=f"{entry_id}？", answer="答案", source="《某法》第1条",
                 updated=date.fromisoformat(updated), category=category,
                 valid_until=date.fromisoformat(valid_until) if valid_until else None,
                 review_by=date.fromisoformat(review_by) if review_by else None,
                 file=Path(f"{category}.yaml"), line=1)


KB = KnowledgeBase(Path("."), (
    entry("tax-relief", valid_until="2027-12-31"),                      # in 46 days
    entry("tax-old-relief", valid_until="2027-11-14", updated="2026-01-05"),  # ended yesterday
    entry("tax-far", valid_until="2030-12-31", updated="2026-03-01"),
    entry("tax-last-day", valid_until="2027-11-15"),                   # valid through today
    entry("ip-law", category="知识产权", review_by="2027-06-30"),       # overdue
    entry("ip-soon", category="知识产权", review_by="2028-01-10"),      # due within 90 days
    entry("ip-plain", category="知识产权", updated="2026-02-01"),
))


def ids(items) -> list[str]:
    return [i.id for i in items]


def test_report_lists_per_chapter_what_expires_within_the_horizon():
    report = freshness_report(KB, TODAY)
    tax, ip = report.chapters
    assert (tax.category, ip.category) == ("税务", "知识产权")
    assert ids(tax.expired) == ["tax-old-relief"] and tax.expired[0].days == -1
    assert ids(tax.expiring) == ["tax-last-day", "tax-relief"]
    assert tax.expiring[1].days == 46 and tax.expiring[0].days == 0
    assert ids(ip.review_overdue) == ["ip-law"] and ids(ip.review_due) == ["ip-soon"]
    assert not tax.review_overdue and not ip.expired
    assert report.needs_attention


def test_horizon_and_the_weekly_window():
    report = freshness_report(KB, TODAY, horizon_days=30)
    assert ids(report.chapters[0].expiring) == ["tax-last-day"]
    wide = freshness_report(KB, TODAY, horizon_days=90)
    assert [(c, i.id) for c, i in wide.expiring_within(30)] == [("税务", "tax-last-day")]


def test_oldest_reviewed_first_per_chapter():
    report = freshness_report(KB, TODAY, oldest=2)
    assert ids(report.chapters[0].oldest_reviewed) == ["tax-old-relief", "tax-far"]
    assert ids(report.chapters[1].oldest_reviewed) == ["ip-plain", "ip-law"]


def test_nothing_to_report_on_a_fresh_base():
    report = freshness_report(KB, date(2026, 12, 6), horizon_days=90)
    assert not report.needs_attention
    data = report.to_dict()
    assert data["today"] == "2026-12-06" and data["chapters"][0]["expiring"] == []


def test_problems_fail_past_valid_until_and_warn_past_review_by():
    errors, warnings = freshness_problems(KB, TODAY, "zh-CN")
    assert [str(p) for p in errors] == [
        "税务.yaml:1: 条目 tax-old-relief 依据的政策已于 2027-11-14 到期（valid_until），"
        "请复核后修改答案和有效期"]
    assert len(warnings) == 1 and "ip-law" in str(warnings[0]) and "138 天" in str(warnings[0])
    assert freshness_problems(KB, date(2026, 12, 6)) == ([], [])
