"""What a staff command is and what it returns, shared by every channel.

Command modules (tickets, reports, review, broadcasts …) each export a `COMMANDS` mapping of
`StaffCommand`s; `staff_commands.REGISTRY` joins them, so Telegram and the terminal offer the
same commands, checked against the same roles.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..delivery.outgoing import Button, Outgoing, esc
from ..foundation.i18n import t
from ..foundation.numbers import whole_number
from ..foundation.periods import FIRST_YEAR, LAST_YEAR, PeriodError, PeriodOutOfRange
from ..requests.staff_directory import Actor, Role

if TYPE_CHECKING:
    from .services import Services


def number(text: str) -> int | None:
    """A request or broadcast number as staff and enterprises type it: `12` or `#12`."""
    return whole_number(text.lstrip("#"))


@dataclass
class CommandResult:
    """The reply to a command: HTML text, optional inline buttons, and files (PNG charts,
    spreadsheets) sent after it as `Outgoing(kind="photo"|"document", file_path=…)`."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    files: list[Outgoing] = field(default_factory=list)
    ticket_id: int | None = None  # for the audit log
    ok: bool = True
    # A guided dialog begins: the channel feeds this staff member's next plain lines to it
    # (`staff_commands.dialog_line`) with this state, until it is done.
    dialog: dict | None = None


def period_refusal(error: PeriodError, usage: str) -> CommandResult:
    """The refusal of a period staff typed: out of range, or the command's usage."""
    if isinstance(error, PeriodOutOfRange):
        return CommandResult(t("report.period_range", "zh-CN", period=esc(str(error)),
                               first=FIRST_YEAR, last=LAST_YEAR), ok=False)
    return CommandResult(usage, ok=False)


Run = Callable[["Services", Actor, list[str]], Awaitable[CommandResult]]


@dataclass(frozen=True)
class StaffCommand:
    name: str
    role: Role
    run: Run
    raw: bool = False  # takes its text as typed (line breaks kept): args is [that text]

    def args_of(self, rest: str) -> list[str]:
        """The arguments of `/name rest` as every channel passes them to `run`."""
        return [rest.strip()] if self.raw else rest.split()
