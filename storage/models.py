"""SQLAlchemy 2 models. Every schema change gets an Alembic revision in `migrations/`."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class QuestionLog(Base):
    """Every question asked: the raw material for reviewing unanswered questions."""

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    channel: Mapped[str] = mapped_column(String(32))
    user_ref: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str | None] = mapped_column(String(128))
    score: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    suggestions: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_question_log_asked_at", "asked_at"),
        Index("ix_question_log_decision_asked_at", "decision", "asked_at"),
    )
