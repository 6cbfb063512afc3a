"""The platform's report at a year's scale: 10,000 enterprises, 50,000 needs from every
source, 25,000 outcomes and 5,000 visits (tests/platform_data.py, whose true figures the
report is checked against), on PostgreSQL (or SQLite): p50/p99 of `collect_report` for the
year, and once more with its sheet and chart written.

    python bench/platform_bench.py [--engine postgresql|sqlite] [--needs N] [--runs N]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.db_seed import _migrated  # noqa: E402
from bench.matcher_bench import percentile  # noqa: E402
from bot.foundation.periods import parse_period  # noqa: E402
from bot.foundation.settings import OutcomesSettings  # noqa: E402
from bot.reports import charts  # noqa: E402
from bot.reports.platform_report import collect_report  # noqa: E402
from bot.reports.platform_sheet import write_report  # noqa: E402
from storage.db import session_factory  # noqa: E402
from tests.platform_data import TZ, seed_year  # noqa: E402

PG_URL = os.environ.get("SME_BENCH_PG_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/sme_platform_bench")
TARGET_P99_MS = 1000


async def main(engine_name: str, needs: int, runs: int) -> dict:
    url = PG_URL if engine_name == "postgresql" else \
        f"sqlite+aiosqlite:///{REPO / 'var' / 'bench' / 'platform.db'}"
    engine = await _migrated(make_url(url), fresh=True)
    try:
        sessions = session_factory(engine)
        started = time.monotonic()
        truth = await seed_year(sessions, enterprises=needs // 5, needs=needs,
                                visits=needs // 10)
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
        seeded_s = time.monotonic() - started
        period = parse_period("year", TZ, date(2026, 12, 6))
        outcomes = OutcomesSettings()
        report = await collect_report(sessions, period, 0.8, outcomes)  # warm-up
        assert {k: getattr(report, k) for k in asdict(truth)} == asdict(truth), "wrong figures"
        times = []
        for _ in range(runs):
            begin = time.perf_counter()
            await collect_report(sessions, period, 0.8, outcomes)
            times.append((time.perf_counter() - begin) * 1000)
        with tempfile.TemporaryDirectory() as folder:
            begin = time.perf_counter()
            report = await collect_report(sessions, period, 0.8, outcomes)
            write_report(report, Path(folder) / "report.xlsx", "zh-CN")
            charts.render_report(report, Path(folder), "zh-CN")
            with_files_ms = (time.perf_counter() - begin) * 1000
    finally:
        await engine.dispose()
    p99 = percentile(times, 99)
    return {"engine": engine_name, "enterprises": needs // 5, "needs": needs,
            "needs_in_year": truth.needs, "outcomes": needs // 2, "visits": needs // 10,
            "seed_s": round(seeded_s, 1), "runs": runs,
            "report_p50_ms": round(percentile(times, 50), 1), "report_p99_ms": round(p99, 1),
            "with_sheet_and_chart_ms": round(with_files_ms, 1),
            "target_p99_ms": TARGET_P99_MS, "ok": p99 <= TARGET_P99_MS}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--needs", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    result = asyncio.run(main(args.engine, args.needs, args.runs))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    sys.exit(0 if result["ok"] else 1)
