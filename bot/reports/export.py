"""`/export` and `sme-assistant export`: the ledger of a period as a file."""
from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from ..foundation.periods import Period
from ..foundation.workcalendar import WorkCalendar
from .ledger import ledger_rows
from .sheets import WRITERS
from .stats import collect

FORMATS = tuple(WRITERS)


class FormatMismatch(ValueError):
    """`--format` names one format and the output file's suffix another."""

    def __init__(self, requested: str, suffix: str) -> None:
        super().__init__(f"{requested} into *{suffix}")
        self.requested, self.suffix = requested, suffix


def output_format(requested: str | None, output: str | None) -> str:
    """The format to write: the one asked for, else the output file's suffix, else xlsx. A
    file named for one format is never written in the other."""
    suffix = Path(output).suffix.lower() if output else ""
    implied = suffix[1:] if suffix[1:] in FORMATS else None
    if requested and implied and requested != implied:
        raise FormatMismatch(requested, suffix)
    return requested or implied or "xlsx"


def file_name(period: Period, fmt: str) -> str:
    return f"ledger-{period.label.replace('..', '_')}.{fmt}"


async def export_ledger(sessions: async_sessionmaker, period: Period, calendar: WorkCalendar,
                        fmt: str, path: Path, lang: str = "zh-CN") -> int:
    """Write the ledger of `period` to `path` as `fmt` (xlsx, with a statistics sheet, or
    csv); returns the number of requests. Each batch is written in a worker thread."""
    stats = await collect(sessions, period, calendar) if fmt == "xlsx" else None
    writer = await asyncio.to_thread(WRITERS[fmt], path, lang)
    count = 0
    try:
        if stats is not None:
            await asyncio.to_thread(writer.add_stats, stats)
        async for rows in ledger_rows(sessions, period, calendar, lang):
            await asyncio.to_thread(writer.add, rows)
            count += len(rows)
    finally:
        await asyncio.to_thread(writer.close)
    return count
