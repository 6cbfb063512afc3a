"""Issue 17 in the core: an answer whose policy has ended is flagged as under review instead of
given, and a high-risk answer offers the hand-off to staff under its referral line. The date is
injected (`Assistant(today=…)`), never the real one."""
from datetime import date

import pytest

from bot.answering import answer_views
from bot.answering.answer_text import render_entry, render_under_review
from bot.answering.assistant import Assistant, offers_staff, under_review
from bot.answering.reply_messages import entry_message, reply_messages
from bot.delivery.outgoing import plain_text
from knowledge.service import KnowledgeService
from tests.kb_marks import REFERRAL, mark

QUESTION = "试用期最长可以约定多久？"
ENTRY = "labor-probation-length"


def assistant(kb_dir, today: date) -> Assistant:
    service = KnowledgeService(kb_dir, semantic="off")
    service.load()
    return Assistant(service, None, 2000, today=lambda: today)


def button_data(message) -> list[str]:
    return [b.data for row in message.buttons for b in row]


@pytest.fixture
def expiring(kb_dir):
    mark(kb_dir, ENTRY, valid_until="2026-12-31")
    return kb_dir


def test_an_answer_is_given_through_the_last_day_of_its_policy(expiring):
    reply = assistant(expiring, date(2026, 12, 31)).answer_only(QUESTION)
    assert not reply.under_review and reply.entry.id == ENTRY


def test_an_expired_answer_is_flagged_as_under_review_with_the_offer_of_staff(expiring):
    bot = assistant(expiring, date(2027, 1, 1))
    reply = bot.answer_only(QUESTION)
    assert reply.under_review and reply.entry is None and reply.matched.id == ENTRY
    [message] = reply_messages(bot, reply, "zh-CN", question_id=7)
    text = plain_text(message.text)
    assert "正在复核" in text and "2026-12-31" in text and "/human" in text
    assert "试用期不得超过一个月" not in text  # the expired answer itself is not given
    assert button_data(message) == ["human", "new"]  # no 👍/👎: nothing was answered
    english = plain_text(reply_messages(bot, reply, "en", 7)[0].text)
    assert "under review" in english and "2026-12-31" in english


def test_an_expired_entry_chosen_from_a_list_is_flagged_too(expiring):
    bot = assistant(expiring, date(2027, 1, 1))
    entry = bot.entry(ENTRY)
    assert bot.under_review(entry) and not bot.under_review(bot.entry("labor-double-wage"))
    assert button_data(entry_message(bot, entry, "zh-CN", None)) == ["human", "new"]
    shown = entry_message(bot, bot.entry("labor-double-wage"), "zh-CN", None)
    assert "二倍的工资" in shown.text
    plain = render_under_review(entry, "zh-CN")
    assert "正在复核" in plain and "/human" in plain and "试用期不得超过" not in plain


def test_under_review_is_a_rule_of_the_date_alone(kb_dir):
    entry = assistant(kb_dir, date(2027, 1, 1)).entry(ENTRY)
    assert not under_review(entry, date(2099, 1, 1))  # no valid_until: never expires


def test_a_high_risk_answer_offers_staff_under_its_referral_line(kb_dir):
    mark(kb_dir, "labor-double-wage", risk="high")
    bot = assistant(kb_dir, date(2026, 12, 6))
    risky, plain = bot.entry("labor-double-wage"), bot.entry(ENTRY)
    assert offers_staff(risky) and not offers_staff(plain)
    message = answer_views.answer(risky, "zh-CN", 9, [])
    assert REFERRAL in message.text  # the referral line, then the button right under the text
    assert message.buttons[0][0].data == "human" and "转人工" in message.buttons[0][0].text
    assert button_data(message)[1:] == ["fb:9:1", "fb:9:0"]
    assert "human" not in button_data(answer_views.answer(plain, "zh-CN", 9, []))
    assert render_entry(risky, "zh-CN").endswith(
        "需要结合您的具体情况判断？发送 /human 转平台工作人员。")
    assert "/human" not in render_entry(plain, "zh-CN")
