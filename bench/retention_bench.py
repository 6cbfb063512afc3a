"""Retention benchmark: growth of `inbound_updates` and `outbox` at fleet volume, and what the
leader's pruning (`storage/retention.py`) keeps and costs.

A fresh database receives `--days` days of traffic (`--per-day` updates, each answered by
one sent message, plus a few failed and pending rows); then the scheduler's pruning runs as
it does every minute until nothing older than `retention.days` is left. Reported: rows
before and after (after ≈ retention.days × per-day: the tables stop growing), the batches,
the time per batch (how long each short transaction holds its locks) and in all, and the
SQLite file size.

    python bench/retention_bench.py [--engine sqlite|postgresql] [--per-day N] [--days N]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.matcher_bench import percentile  # noqa: E402
from storage.db import create_engine, session_factory  # noqa: E402
from storage.migrate import downgrade, upgrade  # noqa: E402
from storage.models import InboundUpdate, OutboxMessage  # noqa: E402
from storage.retention import prune  # noqa: E402

PG_URL = os.environ.get("SME_BENCH_PG_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/sme_bench_retention")
CHUNK = 5_000  # rows per INSERT while seeding


def _day(now: datetime, per_day: int, day: int, first_id: int) -> tuple[list, list]:
    """One day of traffic, `day` days ago: updates processed, answers sent."""
    start = now - timedelta(days=day)
    updates, outbox = [], []
    for n in range(per_day):
        at = start + timedelta(seconds=86_400 * n / per_day)
        updates.append({"update_id": first_id + n, "received_at": at, "claimed_at": at,
                        "processed_at": at, "payload": None, "failures": 0})
        status = "failed" if n % 1000 == 0 else "sent"
        outbox.append({"chat_id": str(n % 5000), "purpose": "answer", "status": status,
                       "payload": '{"text": "答复' + "。" * 200 + '"}', "attempts": 1,
                       "priority": 0, "created_at": at, "next_attempt_at": at,
                       "sent_at": at if status == "sent" else None})
    return updates, outbox


async def _count(sessions) -> dict:
    async with sessions() as session:
        return {"inbound_updates": await session.scalar(
                    select(func.count()).select_from(InboundUpdate)),
                "outbox": await session.scalar(select(func.count()).select_from(OutboxMessage))}


def _file_mb(url: str) -> float | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    path = Path(parsed.database)
    return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20, 1)


async def run(url: str, per_day: int, days: int, retention_days: int = 30,
              batch: int = 500, max_batches: int = 20) -> dict:
    engine = create_engine(url)
    try:
        await downgrade(engine, "base")
        await upgrade(engine)
        sessions = session_factory(engine)
        now = datetime.now(timezone.utc)
        seed_started = time.monotonic()
        for day in range(days, 0, -1):
            updates, outbox = _day(now, per_day, day, (days - day) * per_day)
            async with sessions.begin() as session:
                for rows, model in ((updates, InboundUpdate), (outbox, OutboxMessage)):
                    for i in range(0, len(rows), CHUNK):
                        await session.execute(insert(model), rows[i:i + CHUNK])
        seeded_s = time.monotonic() - seed_started
        before, size_before = await _count(sessions), _file_mb(url)
        runs, batch_ms = 0, []
        started = time.monotonic()
        while True:  # what the scheduler does once a minute, back to back
            runs += 1
            tick = time.monotonic()
            pruned = await prune(sessions, now - timedelta(days=retention_days), batch,
                                 max_batches)
            batches = max(1, -(-max(pruned.updates, pruned.outbox) // batch))
            batch_ms += [(time.monotonic() - tick) * 1000 / batches] * batches
            if pruned.updates < batch * max_batches and pruned.outbox < batch * max_batches:
                break
        total_s = time.monotonic() - started
        after = await _count(sessions)
        return {"engine": engine.dialect.name, "per_day": per_day, "days": days,
                "retention_days": retention_days, "seed_s": round(seeded_s, 1),
                "rows_before": before, "rows_after": after,
                "kept_per_day": {k: round(v / retention_days) for k, v in after.items()},
                "scheduler_runs": runs, "batch_rows": batch,
                "batch_ms_p50": round(percentile(batch_ms, 50), 1),
                "batch_ms_p99": round(percentile(batch_ms, 99), 1),
                "prune_total_s": round(total_s, 2), "file_mb_before": size_before,
                "file_mb_after": _file_mb(url)}
    finally:
        await engine.dispose()


async def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--per-day", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args(argv)
    if args.engine == "postgresql":
        url = PG_URL
    else:
        (REPO / "var" / "bench").mkdir(parents=True, exist_ok=True)
        url = f"sqlite+aiosqlite:///{REPO / 'var' / 'bench' / 'retention.db'}"
    return await run(url, args.per_day, args.days)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), ensure_ascii=False))
