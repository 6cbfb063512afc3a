"""What counts as a question, and how typed noise reaches the matcher."""
from pathlib import Path

import pytest

from bot.answering.answer_views import MAX_LINKED, linked
from bot.answering.assistant import Assistant, InputProblem
from knowledge.decision import Decision
from knowledge.ranking import LexicalRanker
from knowledge.loader import load_knowledge_base
from knowledge.normalize import normalize
from knowledge.service import KnowledgeService
from knowledge.smalltalk import SmallTalk, small_talk

BUNDLED = Path(__file__).resolve().parents[2] / "knowledge" / "faq"


@pytest.mark.parametrize("text, kind", [
    ("你好", SmallTalk.GREETING), ("在吗？", SmallTalk.GREETING), ("老师好", SmallTalk.GREETING),
    ("Hello!", SmallTalk.GREETING), ("<b>您好</b>", SmallTalk.GREETING),
    ("谢谢！", SmallTalk.THANKS), ("好的谢谢😀", SmallTalk.THANKS), ("thank you", SmallTalk.THANKS),
    ("嗯嗯，收到", SmallTalk.THANKS), ("再见", SmallTalk.BYE), ("12", SmallTalk.NUMBER),
    ("１２", SmallTalk.NUMBER),
])
def test_small_talk_is_recognised(text, kind):
    assert small_talk(text) is kind


@pytest.mark.parametrize("text", ["你好，试用期最长多久", "谢谢，那社保要交多久", "试用期",
                                  "好的 发票丢了咋办", "12万的货款要不回来"])
def test_questions_are_not_small_talk(text):
    assert small_talk(text) is None


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    return Assistant(KnowledgeService(BUNDLED, semantic="off"), None, max_question_chars=2000)


@pytest.mark.parametrize("text, problem", [
    ("", InputProblem.EMPTY), ("  \n\t", InputProblem.EMPTY), ("<b></b><br/>", InputProblem.EMPTY),
    ("😀🙏👍", InputProblem.EMPTY), ("？？！！。。", InputProblem.EMPTY),
    ("欠款" * 50_000, InputProblem.TOO_LONG),
])
def test_bad_input_gets_a_clear_reply_and_no_match(assistant, text, problem):
    reply = assistant.answer_only(text)
    assert reply.problem is problem and reply.result is None


def test_greetings_and_bare_numbers_are_not_matched(assistant):
    for text in ("你好", "谢谢", "3", "123456"):
        reply = assistant.answer_only(text)
        assert reply.small_talk is not None and reply.result is None  # so never logged


def test_a_question_wrapped_in_markup_finds_its_entry(assistant):
    plain = assistant.answer_only("微信聊天记录能当证据吗")
    wrapped = assistant.answer_only("<b>微信聊天记录能当证据吗</b>&nbsp;")
    assert normalize("<b>微信聊天记录能当证据吗</b>") == normalize("微信聊天记录能当证据吗")
    assert wrapped.entry is not None and wrapped.entry == plain.entry


@pytest.mark.parametrize("text", ["What is the longest probation period?", "probation",
                                  "How do I register a trademark?"])
def test_an_english_question_is_never_answered_by_letters_it_shares(assistant, text):
    reply = assistant.answer_only(text)
    if reply.decision is Decision.ANSWERED:  # only a real match may answer
        assert reply.entry.id.startswith(("labor-probation", "ip-trademark"))
    else:
        assert reply.foreign and reply.decision is Decision.NO_ANSWER and not reply.suggestions


def test_typos_typed_on_a_pinyin_keyboard_are_corrected():
    homophones = LexicalRanker(load_knowledge_base(BUNDLED)).homophones
    assert homophones.correct("开发漂") == "开发票"
    assert homophones.correct("辞腿员工") == "辞退员工"
    assert homophones.correct("工商保险怎么报销") == "工伤保险怎么报销"
    assert homophones.correct("我们是做五金的") == "我们是做五金的"  # nothing to correct


def test_related_entries_come_first_then_follow_ups_each_once():
    kb = load_knowledge_base(BUNDLED)
    a, b, c, d, e, f = kb.entries[:6]
    shown = linked(a, [b, c], [c, a, d, e, f])
    assert [x.id for x in shown] == [b.id, c.id, d.id, e.id][:MAX_LINKED]
