"""What the terminal chat's dialogs (`/new`, the subscription questions, `/deleteme`) share:
the chat they run in, their shape, and how a typed line is told apart from a command."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from storage.models import Contact

from ..app.services import Services

_COMMAND = re.compile(r"/[A-Za-z][A-Za-z0-9_]*(?=\s|$)")


def command_name(text: str) -> str | None:
    """`/name` when the line is a command (lower case), else None: "/queue" is, "/ 斜杠" is not."""
    found = _COMMAND.match(text.strip())
    return found.group(0).lower() if found else None


class Chat(Protocol):
    """What a dialog uses of the terminal chat (`console_chat.ConsoleChat`, which runs the
    dialogs: typed here by shape, so that the modules do not import each other)."""

    services: Services
    lang: str
    write: Callable[[str], None]

    async def contact(self) -> Contact: ...


class Dialog(Protocol):
    """A few questions in a row. While one is open, a line goes to it unless it is a command
    the dialog does not take (`commands()`): that command runs and the dialog waits."""

    name: str  # its label: console.dialog.<name>

    def commands(self) -> frozenset[str]: ...

    def prompt(self) -> str:
        """The question it waits for, asked again (after another command, on resuming)."""
        ...

    async def handle(self, text: str) -> bool:
        """Consume one line; True when the dialog is over."""
        ...

    def state(self) -> Any | None:
        """What to keep for a restart (JSON), or None when it is not kept."""
        ...
