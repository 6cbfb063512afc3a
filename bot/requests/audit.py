"""The staff audit log: every staff command and button, with its outcome, in the database."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import StaffAction

from .staff_directory import Actor

log = logging.getLogger(__name__)
MAX_DETAIL = 500


async def record(sessions: async_sessionmaker, actor: Actor, action: str, outcome: str,
                 ticket_id: int | None = None, detail: str | None = None) -> None:
    """Store one staff action; `outcome` is ok, refused or error."""
    log.log(logging.WARNING if outcome == "refused" else logging.INFO,
            "staff action %s by %s (%s): %s%s", action, actor.id,
            actor.role.name.lower() if actor.role else "none", outcome,
            f" #{ticket_id}" if ticket_id else "")
    async with sessions.begin() as session:
        session.add(StaffAction(actor_id=actor.id, actor_name=actor.name[:128],
                                role=actor.role.name.lower() if actor.role else None,
                                action=action[:32], ticket_id=ticket_id, outcome=outcome,
                                detail=(detail or "")[:MAX_DETAIL] or None))


async def recent(sessions: async_sessionmaker, limit: int = 50) -> list[StaffAction]:
    async with sessions() as session:
        return list(await session.scalars(
            select(StaffAction).order_by(StaffAction.id.desc()).limit(limit)))
