"""Repository of the question log."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from .models import QuestionLog


@dataclass(frozen=True)
class LoggedQuestion:
    channel: str
    user_ref: str | None
    language: str
    text: str
    normalized: str
    entry_id: str | None
    score: float | None
    decision: str
    mode: str
    suggestions: list[str]


class QuestionLogRepository:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def record(self, q: LoggedQuestion) -> int:
        async with self.sessions.begin() as session:
            row = QuestionLog(
                channel=q.channel, user_ref=q.user_ref, language=q.language, text=q.text,
                normalized=q.normalized, entry_id=q.entry_id, score=q.score,
                decision=q.decision, mode=q.mode,
                suggestions=",".join(q.suggestions) or None,
            )
            session.add(row)
            await session.flush()
            return row.id

    async def recent(self, limit: int = 20) -> list[QuestionLog]:
        async with self.sessions() as session:
            result = await session.scalars(
                select(QuestionLog).order_by(QuestionLog.id.desc()).limit(limit))
            return list(result)

    async def count_by_decision(self) -> dict[str, int]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(QuestionLog.decision, func.count()).group_by(QuestionLog.decision))
            return {decision: n for decision, n in rows}
