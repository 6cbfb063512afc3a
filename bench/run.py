"""`make bench`: run every benchmark and print its figures (JSON lines)."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import matcher_bench, telegram_bench  # noqa: E402

if __name__ == "__main__":
    print("== matcher (bundled and 20,000-entry synthetic knowledge base) ==")
    for row in matcher_bench.main():
        print(json.dumps(row, ensure_ascii=False))
    print("== Telegram: sme-assistant run against the fake Bot API over HTTP (SQLite) ==")
    print(json.dumps(asyncio.run(telegram_bench.main()), ensure_ascii=False))
