"""Turn an assistant reply into the messages a chat channel shows."""
from __future__ import annotations

from knowledge.decision import Decision
from knowledge.model import Entry

from . import answer_views
from .assistant import Assistant, Reply
from ..delivery.outgoing import Outgoing


def entry_message(assistant: Assistant, entry: Entry, lang: str,
                  question_id: int | None) -> Outgoing:
    """An entry as an answer, or flagged as under review once its policy has ended (also when
    chosen from a topic, a suggestion or a follow-up)."""
    if assistant.under_review(entry):
        return answer_views.under_review(entry, lang)
    return answer_views.answer(entry, lang, question_id, assistant.follow_ups(entry))


def reply_messages(assistant: Assistant, reply: Reply, lang: str,
                   question_id: int | None) -> list[Outgoing]:
    if reply.problem is not None:
        return [answer_views.problem(reply.problem, lang, assistant.max_question_chars)]
    if reply.small_talk is not None:
        return [answer_views.small_talk(reply.small_talk, lang)]
    if reply.under_review and reply.matched is not None:
        return [answer_views.under_review(reply.matched, lang)]
    if reply.decision is Decision.ANSWERED and reply.entry is not None:
        return [answer_views.answer(reply.entry, lang, question_id,
                                    assistant.follow_ups(reply.entry), reply.related)]
    if reply.decision is Decision.SUGGESTED:
        return [answer_views.suggestions(reply.suggestions, lang, question_id)]
    return [answer_views.no_answer(lang, question_id,
                                   "reply.not_chinese" if reply.foreign else "reply.no_answer")]
