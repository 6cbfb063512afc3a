"""What a staff command is and what it returns, shared by every channel.

Command modules (tickets, reports, review, broadcasts …) each export a `COMMANDS` mapping of
`StaffCommand`s; `staff_commands.REGISTRY` joins them, so Telegram and the terminal offer the
same commands, checked against the same roles.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..delivery.outgoing import Button, Outgoing
from ..requests.staff_directory import Actor, Role

if TYPE_CHECKING:
    from .services import Services


def number(text: str) -> int | None:
    """A request or broadcast number as staff and enterprises type it: `12` or `#12`."""
    digits = text.lstrip("#")
    return int(digits) if digits.isdigit() else None


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
