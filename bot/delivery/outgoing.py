"""Channel-neutral outgoing messages: HTML text (Telegram's subset) and buttons.

The core composes these; a channel's transport turns them into API calls (Telegram) or
terminal output (console). Stored as JSON in the outbox.
"""
from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from typing import Any

STAFF_CHAT = "staff"  # resolved to the configured staff group when the message is sent


_TAG_RE = re.compile(r"<[^>]+>")


def plain_text(text: str | None) -> str:
    """An HTML message as plain text (the terminal, or when Telegram refuses the HTML)."""
    return html.unescape(_TAG_RE.sub("", text or ""))


def esc(text: str | None) -> str:
    """Escape user-provided text for HTML messages."""
    return html.escape(text or "", quote=False)


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver. `kind`:
    - text: `text` (HTML) with inline `buttons` or a reply `keyboard`
    - copy: copy message `copy_message_id` from chat `copy_from` (media relay), with `text` as caption
    - edit: replace the text/buttons of the ticket's staff card (`edit_target="card"`), of a
      broadcast's progress message (`edit_target="progress"`) or of message `edit_message_id`
    - topic: create / close / reopen the ticket's forum topic (`text` is the topic name)
    - photo / document: upload the file at `file_path`, with `text` as caption
    `in_ticket_thread` posts into the ticket's forum topic; `thread_id` into a given one.
    A text longer than one message goes out in parts, one part per send: `parts_sent` counts
    those already delivered (a retry sends only the rest).
    """

    kind: str = "text"
    text: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    keyboard: list[list[str]] | None = None
    copy_from: str | None = None
    copy_message_id: int | None = None
    in_ticket_thread: bool = False
    thread_id: int | None = None
    edit_target: str | None = None
    edit_message_id: int | None = None
    topic_action: str | None = None
    file_path: str | None = None
    plain: bool = False
    parts_sent: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v not in (None, [], False)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Outgoing":
        buttons = [[Button(**b) for b in row] for row in data.get("buttons", [])]
        return cls(**{**data, "buttons": buttons})
