"""Outcomes of requests: one row per request, kind and subject; a later one replaces it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import TicketOutcome

VALUES = ("institution", "credit_yuan", "disbursed_yuan", "programme", "level", "result",
          "recovered_yuan")


async def save_outcome(session: AsyncSession, ticket_id: int, kind: str, subject: str,
                       values: dict, actor_id: str, actor_name: str, at: datetime
                       ) -> tuple[TicketOutcome, bool]:
    """Insert or replace the outcome of (`ticket_id`, `kind`, `subject`); True if new."""
    outcome = await session.scalar(select(TicketOutcome).where(
        TicketOutcome.ticket_id == ticket_id, TicketOutcome.kind == kind,
        TicketOutcome.subject == subject))
    created = outcome is None
    if created:
        outcome = TicketOutcome(ticket_id=ticket_id, kind=kind, subject=subject)
        session.add(outcome)
    for name in VALUES:
        setattr(outcome, name, values.get(name))
    outcome.actor_id, outcome.actor_name, outcome.at = actor_id, actor_name, at
    await session.flush()
    return outcome, created


async def outcomes_of(session: AsyncSession, ticket_id: int) -> list[TicketOutcome]:
    return list(await session.scalars(select(TicketOutcome).where(
        TicketOutcome.ticket_id == ticket_id).order_by(TicketOutcome.id)))
