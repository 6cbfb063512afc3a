"""`make bench`: run every benchmark and print its figures (JSON lines)."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (  # noqa: E402
    broadcast_bench, db_bench, grouping_bench, matcher_bench, platform_bench, retention_bench,
    telegram_bench,
)

if __name__ == "__main__":
    print("== matcher (bundled and 20,000-entry synthetic knowledge base) ==")
    for row in matcher_bench.main():
        print(json.dumps(row, ensure_ascii=False))
    print("== grouping of unanswered questions (/unanswered), synthetic months ==")
    for row in grouping_bench.main():
        print(json.dumps(row))
    print("== Telegram: sme-assistant run against the fake Bot API over HTTP (SQLite) ==")
    print(json.dumps(asyncio.run(telegram_bench.main()), ensure_ascii=False))
    print("== Broadcast: 5,000 notices at Telegram's pace (rate limits emulated), answers meanwhile ==")
    print(json.dumps(asyncio.run(broadcast_bench.main()), ensure_ascii=False))
    print("== Survey: /survey_send to 5,000 enterprises, the same pacing, answers meanwhile ==")
    print(json.dumps(asyncio.run(broadcast_bench.main(survey=True)), ensure_ascii=False))
    print("== database: product queries on 1,000,000 tickets (PostgreSQL, seed kept in database "
          "sme_bench) and 100,000 (SQLite); ticket creation with 1 and 2 processes ==")
    for row in asyncio.run(db_bench.main([])):
        print(json.dumps(row, ensure_ascii=False))
    print("== the platform's report for a year: 10,000 enterprises, 50,000 needs (PostgreSQL) ==")
    print(json.dumps(asyncio.run(platform_bench.main("postgresql", 50_000, 50)),
                     ensure_ascii=False))
    print("== retention: 60 days of 20,000 updates and answers a day, pruned to 30 (SQLite) ==")
    print(json.dumps(asyncio.run(retention_bench.main([])), ensure_ascii=False))
