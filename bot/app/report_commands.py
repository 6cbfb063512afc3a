"""`/stats [period]` and `/export [period] [xlsx|csv]` for agents and above: every staff
member who handles requests may see the figures and the ledger they fill."""
from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from .command_types import CommandResult, StaffCommand, period_refusal
from ..foundation.i18n import t
from ..delivery.outgoing import Outgoing, esc
from ..foundation.periods import Period, PeriodError, parse_period
from .services import Services
from ..requests.staff_directory import Actor, Role
from ..reports.export import FORMATS, export_ledger, file_name
from ..reports.report_files import new_report_dir
from ..reports.stats import Stats, collect
from ..reports.stats_summary import stats_text

LANG = "zh-CN"


def _period(services: Services, words: list[str]) -> Period:
    tz = services.calendar.tz
    return parse_period(" ".join(words), tz, services.clock().astimezone(tz).date())


def _folder(services: Services) -> Path:
    settings = services.settings.reports
    return new_report_dir(settings.dir, settings.keep_days)


def _draw(services: Services, stats: Stats) -> list[tuple[Path, str]]:
    from ..reports import charts  # matplotlib takes a second to load: in this worker thread, once

    return charts.render(stats, _folder(services), LANG)


async def _stats(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    try:
        period = _period(services, args)
    except PeriodError as error:
        return period_refusal(error, t("report.usage_stats", LANG))
    stats = await collect(services.sessions, period, services.calendar)
    text = stats_text(stats, services.knowledge.kb, LANG)
    today = services.clock().astimezone(services.calendar.tz).date()
    if gap := services.calendar.coverage_warning(today, LANG):
        text = f"{text}\n\n{gap}"
    if not stats.logged:
        return CommandResult(text)
    drawn = await asyncio.to_thread(_draw, services, stats)
    return CommandResult(text, files=[Outgoing(kind="photo", file_path=str(png), text=esc(title))
                                      for png, title in drawn])


async def _export(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    words = list(args)
    fmt = words.pop().lower() if words and words[-1].lower() in FORMATS else "xlsx"
    try:
        period = _period(services, words)
    except PeriodError as error:
        return period_refusal(error, t("report.usage_export", LANG))
    folder = await asyncio.to_thread(_folder, services)
    path = folder / file_name(period, fmt)
    try:
        rows = await export_ledger(services.sessions, period, services.calendar, fmt, path, LANG)
    except BaseException:  # no half-written ledger is left behind
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
    caption = t("report.export_caption", LANG, period=esc(period.label), rows=rows)
    return CommandResult(t("report.exported", LANG, period=esc(period.label), rows=rows,
                           format=fmt), files=[Outgoing(kind="document", file_path=str(path),
                                                        text=caption)])


COMMANDS = {
    "stats": StaffCommand("stats", Role.AGENT, _stats),
    "export": StaffCommand("export", Role.AGENT, _export),
}
