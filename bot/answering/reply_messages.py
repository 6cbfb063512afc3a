"""Turn an assistant reply into the messages a chat channel shows."""
from __future__ import annotations

from knowledge.decision import Decision

from . import answer_views
from .assistant import Assistant, Reply
from ..delivery.outgoing import Outgoing


def reply_messages(assistant: Assistant, reply: Reply, lang: str,
                   question_id: int | None) -> list[Outgoing]:
    if reply.problem is not None:
        return [answer_views.problem(reply.problem, lang, assistant.max_question_chars)]
    if reply.small_talk is not None:
        return [answer_views.small_talk(reply.small_talk, lang)]
    if reply.decision is Decision.ANSWERED and reply.entry is not None:
        return [answer_views.answer(reply.entry, lang, question_id,
                                    assistant.follow_ups(reply.entry), reply.related)]
    if reply.decision is Decision.SUGGESTED:
        return [answer_views.suggestions(reply.suggestions, lang, question_id)]
    return [answer_views.no_answer(lang, question_id,
                                   "reply.not_chinese" if reply.foreign else "reply.no_answer")]
