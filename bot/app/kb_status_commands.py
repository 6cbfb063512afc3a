"""`/kbstatus [天数]` for supervisors: which answers expire or fall due for review soon, and
which were reviewed longest ago, per chapter (the list `sme-assistant kb status` prints)."""
from __future__ import annotations

from .command_types import CommandResult, StaffCommand
from ..answering import kb_status
from ..foundation.i18n import t
from .services import Services
from ..requests.staff_directory import Actor, Role

LANG = "zh-CN"


def horizon(args: list[str]) -> int | None:
    """The days asked for (default kb_status.HORIZON_DAYS); None when they make no sense."""
    if not args:
        return kb_status.HORIZON_DAYS
    if len(args) == 1 and args[0].isdecimal() and 1 <= int(args[0]) <= kb_status.MAX_DAYS:
        return int(args[0])
    return None


async def _kbstatus(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    days = horizon(args)
    if days is None:
        return CommandResult(t("kb_status.usage", LANG), ok=False)
    today = services.clock().astimezone(services.calendar.tz).date()
    found = kb_status.report(services.knowledge.kb, today, days)
    return CommandResult(kb_status.status_text(found, LANG))


COMMANDS = {"kbstatus": StaffCommand("kbstatus", Role.SUPERVISOR, _kbstatus)}
