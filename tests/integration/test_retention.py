"""Retention: processed updates and sent outbox messages older than `retention.days` are
deleted in batches by the leader's scheduler; everything else stays."""
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.app.scheduler import prune_old
from bot.app.services import running_services
from bot.foundation.settings import ConfigError, load_settings
from storage.models import InboundUpdate, OutboxMessage, utcnow
from storage.retention import prune


async def _seed(sessions, now):
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    updates = [{"update_id": n, "received_at": at, "processed_at": done, "payload": None}
               for n, (at, done) in enumerate(
                   [(old, old)] * 1203 + [(recent, recent), (old, None)])]  # the last: waiting
    outbox = [{"chat_id": "1", "purpose": "answer", "payload": "{}", "status": status,
               "attempts": 1, "priority": 0, "created_at": at, "next_attempt_at": at}
              for status, at in [("sent", old)] * 1102 + [("cancelled", old), ("sent", recent),
                                                          ("failed", old), ("pending", old)]]
    async with sessions.begin() as session:
        await session.execute(insert(InboundUpdate), updates)
        await session.execute(insert(OutboxMessage), outbox)


async def _left(sessions):
    async with sessions() as session:
        updates = await session.scalar(select(func.count()).select_from(InboundUpdate))
        statuses = dict((await session.execute(select(OutboxMessage.status, func.count())
                                               .group_by(OutboxMessage.status))).all())
    return updates, statuses


async def test_old_processed_updates_and_sent_messages_are_pruned_in_batches(settings):
    async with running_services(settings) as services:
        now = utcnow()
        await _seed(services.sessions, now)
        first = await prune(services.sessions, now - timedelta(days=30), batch=100,
                            max_batches=5)
        assert (first.updates, first.outbox) == (500, 500)  # bounded per run
        rest = await prune_old(services, now)  # retention.days = 30 by default
        assert (rest.updates, rest.outbox) == (703, 603)
        assert await _left(services.sessions) == (
            2, {"sent": 1, "failed": 1, "pending": 1})
        again = await prune_old(services, now)
        assert (again.updates, again.outbox) == (0, 0)


def test_retention_days_is_validated():
    assert load_settings(environ={}).retention.days == 30
    for bad in ("0", "-3", "many"):
        with pytest.raises(ConfigError) as info:
            load_settings(environ={"SME_RETENTION__DAYS": bad})
        assert "retention.days" in str(info.value)
