"""How staff read the freshness report (`kb status`, `/kbstatus`, the weekly post), on a fixed
date."""
from datetime import date

from bot.answering import kb_status
from bot.delivery.outgoing import plain_text
from tests.unit.test_freshness import KB, TODAY, entry
from knowledge.model import KnowledgeBase


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in plain_text(text).splitlines()]


def test_status_lists_per_chapter_what_expires_what_is_due_and_what_is_oldest():
    text = kb_status.status_text(kb_status.report(KB, TODAY), "zh-CN")
    lines = lines_of(text)
    assert lines[0] == "知识库时效（2027-11-15，看未来 90 天；共 7 条）"
    tax = lines[lines.index("税务（4 条）"):lines.index("知识产权（3 条）")]
    assert tax == [
        "税务（4 条）",
        "已过期（valid_until 已过，不再直接回答）：",
        "• tax-old-relief tax-old-relief？　2027-11-14（已过 1 天）",
        "即将到期（valid_until）：",
        "• tax-last-day tax-last-day？　2027-11-15（就是今天）",
        "• tax-relief tax-relief？　2027-12-31（还有 46 天）",
        "最久未复核：tax-old-relief（审核于 2026-01-05，679 天前）",
        "最久未复核：tax-far（审核于 2026-03-01，624 天前）",
        "最久未复核：tax-last-day（审核于 2026-12-06，344 天前）",  # three per chapter
        "",
    ]
    ip = lines[lines.index("知识产权（3 条）"):]
    assert "复核已逾期（review_by）：" in ip and "• ip-law ip-law？　2027-06-30（已过 138 天）" in ip
    assert "即将到复核日期（review_by）：" in ip and "• ip-soon ip-soon？　2028-01-10（还有 56 天）" in ip
    assert "<code>tax-relief</code>" in text and "<b>税务</b>" in text  # HTML for Telegram


def test_long_lists_are_cut_and_counted_and_questions_escaped():
    many = KnowledgeBase(KB.directory, tuple(
        entry(f"tax-{n:02d}", valid_until="2027-12-01") for n in range(11)) + (
        entry("tax-&<b>", valid_until="2027-12-01"),))  # sorts first
    text = kb_status.status_text(kb_status.report(many, TODAY), "zh-CN")
    assert text.count("2027-12-01（还有 16 天）") == kb_status.PER_LIST
    assert "…… 另有 4 条" in plain_text(text)
    assert "<code>tax-&amp;&lt;b&gt;</code>" in text and "<b>？" not in text


def test_nothing_to_report_says_so_and_english_reads():
    quiet = KnowledgeBase(KB.directory, (entry("tax-plain"),))
    text = plain_text(kb_status.status_text(kb_status.report(quiet, TODAY), "en"))
    assert "Nothing expires or falls due for review in the next 90 days." in text
    assert "Reviewed longest ago: tax-plain (on 2026-12-06, 344 days ago)" in text


def test_the_weekly_post_is_due_when_an_answer_expires_within_30_days_or_has_expired():
    current = KnowledgeBase(KB.directory, tuple(
        e for e in KB.entries if e.id not in ("tax-old-relief", "tax-last-day")))
    assert kb_status.weekly_text(kb_status.report(current, date(2027, 11, 30)), "zh-CN") is None
    post = plain_text(kb_status.weekly_text(kb_status.report(current, date(2027, 12, 1)),
                                            "zh-CN"))
    assert post.startswith("⚠️ 知识库提醒：1 条答案依据的政策将在 30 天内到期。\n请核实后")
    assert "tax-relief tax-relief？　2027-12-31（还有 30 天）" in post
    ended = plain_text(kb_status.weekly_text(kb_status.report(KB, date(2027, 11, 30)), "zh-CN"))
    assert ended.startswith("⚠️ 知识库提醒：2 条答案依据的政策已经到期")  # old relief, last day
    both = plain_text(kb_status.weekly_text(kb_status.report(KB, TODAY), "en"))
    assert both.startswith("⚠️ Knowledge base: 1 answers rest on policies ending within 30 days.\n"
                           "⚠️ Knowledge base: 1 answers rest on policies that have ended")
