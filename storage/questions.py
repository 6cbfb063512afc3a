"""Repository of the question log."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .batching import GroupCommit
from .models import Feedback, QuestionLog

QUESTIONS = QuestionLog.__table__
_LOG = insert(QUESTIONS).returning(QUESTIONS.c.id, sort_by_parameter_order=True)  # built once
# Runs in the logging transaction, given the question's id (see `QuestionLogRepository.record`).
AfterLogging = Callable[[AsyncSession, int], None]


@dataclass(frozen=True)
class LoggedQuestion:
    channel: str
    user_ref: str | None
    contact_id: int | None
    language: str
    text: str
    normalized: str
    entry_id: str | None
    score: float | None
    decision: str
    mode: str
    suggestions: list[str]


@dataclass(frozen=True)
class ReviewQuestion:
    id: int
    text: str
    normalized: str
    entry_id: str | None
    disliked: bool


class QuestionLogRepository:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions
        self._batches = GroupCommit(sessions, _log_all)

    async def record(self, q: LoggedQuestion, then: AfterLogging | None = None) -> int:
        """Log a question; `then(session, question_id)` runs in the same transaction
        (the answer goes into the outbox with the log entry, or neither does). Questions
        asked together are logged together (`storage/batching.py`)."""
        return await self._batches.run((q, then))

    async def recent(self, limit: int = 20) -> list[QuestionLog]:
        async with self.sessions() as session:
            result = await session.scalars(
                select(QuestionLog).order_by(QuestionLog.id.desc()).limit(limit))
            return list(result)

    async def recent_for(self, user_ref: str, limit: int = 5) -> list[QuestionLog]:
        async with self.sessions() as session:
            result = await session.scalars(
                select(QuestionLog).where(QuestionLog.user_ref == user_ref)
                .order_by(QuestionLog.id.desc()).limit(limit))
            return list(result)

    async def asked_by(self, question_id: int, user_ref: str) -> QuestionLog | None:
        """The question if `user_ref` asked it (and it was not erased since)."""
        async with self.sessions() as session:
            return await session.scalar(select(QuestionLog).where(
                QuestionLog.id == question_id, QuestionLog.user_ref == user_ref))

    async def feedback(self, question_id: int, user_ref: str, contact_id: int | None,
                       helpful: bool) -> bool:
        """Store 👍/👎 once per answered question, only from the person who asked it."""
        async with self.sessions.begin() as session:
            question = await session.get(QuestionLog, question_id)
            if question is None or question.user_ref != user_ref:
                return False
            existing = await session.scalar(select(Feedback).where(
                Feedback.question_id == question_id))
            if existing is not None:
                existing.helpful = helpful
            else:
                session.add(Feedback(question_id=question_id, contact_id=contact_id,
                                     entry_id=question.entry_id, helpful=helpful))
            return True

    async def needing_review(self, start: datetime, end: datetime,
                             answered_below: dict[str, float], limit: int) -> list[ReviewQuestion]:
        """The newest `limit` questions asked in [start, end) that got no direct answer, a direct
        one scoring below `answered_below[mode]`, or a 👎."""
        low = [and_(QuestionLog.mode == mode, QuestionLog.score < cut)
               for mode, cut in answered_below.items()]
        stmt = (
            select(QuestionLog.id, QuestionLog.text, QuestionLog.normalized,
                   QuestionLog.entry_id, Feedback.helpful)
            .outerjoin(Feedback, Feedback.question_id == QuestionLog.id)
            .where(QuestionLog.asked_at >= start.astimezone(timezone.utc),
                   QuestionLog.asked_at < end.astimezone(timezone.utc),
                   or_(QuestionLog.decision != "answered", Feedback.helpful.is_(False), *low))
            .order_by(QuestionLog.id.desc()).limit(limit))
        async with self.sessions() as session:
            rows = await session.execute(stmt)
            return [ReviewQuestion(qid, text, normalized, entry_id, helpful is False)
                    for qid, text, normalized, entry_id, helpful in rows]


async def _log_all(session: AsyncSession,
                   batch: list[tuple[LoggedQuestion, AfterLogging | None]]) -> list[int]:
    ids = list((await session.execute(_LOG, [
        {"channel": q.channel, "user_ref": q.user_ref, "contact_id": q.contact_id,
         "language": q.language, "text": q.text,
         "normalized": q.normalized, "entry_id": q.entry_id, "score": q.score,
         "decision": q.decision, "mode": q.mode, "suggestions": ",".join(q.suggestions) or None}
        for q, _ in batch])).scalars())
    for (_, then), question_id in zip(batch, ids, strict=True):
        if then is not None:
            then(session, question_id)
    return ids
