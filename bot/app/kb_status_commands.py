"""`/kbstatus [天数]` for supervisors: which answers expire or fall due for review soon, and
which were reviewed longest ago, per chapter (the list `sme-assistant kb status` prints)."""
from __future__ import annotations

from .command_types import CommandResult, StaffCommand
from ..answering import kb_status
from ..foundation.i18n import t
from .services import Services
from ..requests.staff_directory import Actor, Role

LANG = "zh-CN"
MAX_DAYS = 3660


async def _kbstatus(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    if len(args) > 1 or (args and not (args[0].isdecimal() and 1 <= int(args[0]) <= MAX_DAYS)):
        return CommandResult(t("kb_status.usage", LANG), ok=False)
    days = int(args[0]) if args else kb_status.HORIZON_DAYS
    today = services.clock().astimezone(services.calendar.tz).date()
    found = kb_status.report(services.knowledge.kb, today, days)
    return CommandResult(kb_status.status_text(found, LANG))


COMMANDS = {"kbstatus": StaffCommand("kbstatus", Role.SUPERVISOR, _kbstatus)}
