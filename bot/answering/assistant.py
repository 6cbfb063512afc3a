"""The channel-agnostic assistant: questions in, decisions out, every question logged.

No `telegram` import here: the console, the CLI and the Telegram handlers all call this.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from typing import TYPE_CHECKING

from knowledge.decision import Decision, MatchResult
from knowledge.model import Entry
from knowledge.normalize import has_han, has_meaningful_text
from knowledge.service import KnowledgeService
from knowledge.smalltalk import SmallTalk, small_talk

from ..foundation import metrics

if TYPE_CHECKING:  # the command-line `ask` must start fast: no database modules
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.questions import QuestionLogRepository


class InputProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Reply:
    question: str
    result: MatchResult | None = None
    problem: InputProblem | None = None
    question_id: int | None = None
    small_talk: SmallTalk | None = None  # a greeting, thanks, a bare number: not a question
    foreign: bool = False  # no Chinese and no sure answer: say that answers are in Chinese
    # The matched entry's policy has ended (see `under_review`): it is not given as an answer.
    under_review: bool = False

    @property
    def decision(self) -> Decision | None:
        return self.result.decision if self.result else None

    @property
    def matched(self) -> Entry | None:
        """The entry the matcher answered with, whether or not it may be given."""
        if self.result and self.result.decision is Decision.ANSWERED and self.result.best:
            return self.result.best.entry
        return None

    @property
    def entry(self) -> Entry | None:
        """The entry given as the direct answer: none while it is under review."""
        return None if self.under_review else self.matched

    @property
    def suggestions(self) -> list[Entry]:
        return [c.entry for c in self.result.suggestions] if self.result else []

    @property
    def related(self) -> list[Entry]:
        """Entries scoring close behind a direct answer, offered under it."""
        return [c.entry for c in self.result.related] if self.result else []


def under_review(entry: Entry, today: date) -> bool:
    """An entry whose policy has ended (`valid_until` passed; the day itself still counts) is
    not given as an answer: the enterprise is told it is under review and offered staff."""
    return entry.valid_until is not None and entry.valid_until < today


def offers_staff(entry: Entry) -> bool:
    """A high-risk answer depends on the facts of the case: it carries a referral line, and the
    channel offers the hand-off to the platform's staff under it."""
    return entry.risk == "high"


def check_question(text: str, max_chars: int) -> InputProblem | None:
    if len(text) > max_chars:
        return InputProblem.TOO_LONG
    if not has_meaningful_text(text):
        return InputProblem.EMPTY
    return None


class Assistant:
    def __init__(self, knowledge: KnowledgeService, questions: "QuestionLogRepository | None",
                 max_question_chars: int, today: Callable[[], date] = date.today) -> None:
        self.knowledge = knowledge
        self.questions = questions
        self.max_question_chars = max_question_chars
        self.today = today  # the local date: the services pass their clock, in the local zone

    def answer_only(self, text: str) -> Reply:
        """Match without logging (the `ask` command line tool). Input that is not a question
        (refused, or small talk) gets no match and is never logged."""
        problem = check_question(text, self.max_question_chars)
        if problem:
            return Reply(text, problem=problem)
        kind = small_talk(text)
        if kind is not None:
            return Reply(text, small_talk=kind)
        result = self.knowledge.matcher.match(text)
        if not has_han(text) and result.decision is not Decision.ANSWERED:
            # The guide is Chinese: a foreign question it does not surely answer gets no
            # suggestions picked by shared letters, but the offer of a person.
            return Reply(text, replace(result, decision=Decision.NO_ANSWER,
                                       candidates=result.candidates[:1]), foreign=True)
        reply = Reply(text, result)
        if reply.matched is not None and self.under_review(reply.matched):
            return replace(reply, under_review=True)
        return reply

    def under_review(self, entry: Entry) -> bool:
        return under_review(entry, self.today())

    async def ask(self, text: str, *, channel: str, user_ref: str | None, lang: str,
                  contact_id: int | None = None,
                  then: "Callable[[AsyncSession, int, Reply], None] | None" = None) -> Reply:
        """Answer and log a question; `then(session, question_id, reply)` runs in the logging
        transaction so that the reply is enqueued atomically with the log entry."""
        if self.knowledge.matcher.mode == "semantic":  # ~10 ms of model inference: not on the loop
            reply = await asyncio.to_thread(self.answer_only, text)
        else:
            reply = self.answer_only(text)
        if reply.result is not None:
            decision = reply.result.decision.value
            metrics.MATCHER_DECISIONS.labels(decision).inc()
            if reply.result.best:
                metrics.MATCHER_CONFIDENCE.labels(decision).observe(reply.result.confidence)
        if reply.result is not None and self.questions is not None:
            from storage.questions import LoggedQuestion

            best = reply.result.best
            hook = (lambda session, qid: then(session, qid, reply)) if then else None
            question_id = await self.questions.record(LoggedQuestion(
                channel=channel, user_ref=user_ref, contact_id=contact_id, language=lang,
                text=text,
                normalized=reply.result.query, entry_id=best.entry.id if best else None,
                score=round(reply.result.confidence, 4) if best else None,
                decision=reply.result.decision.value, mode=self.knowledge.matcher.mode,
                suggestions=[c.entry.id for c in reply.result.suggestions],
            ), hook)
            return replace(reply, question_id=question_id)
        return reply

    def entry(self, entry_id: str) -> Entry | None:
        return self.knowledge.kb.get(entry_id)

    def follow_ups(self, entry: Entry) -> list[Entry]:
        return [e for e in map(self.entry, entry.follow_ups) if e is not None]

    def categories(self) -> list[str]:
        return self.knowledge.kb.categories

    def entries_in(self, category: str) -> list[Entry]:
        return self.knowledge.kb.in_category(category)
