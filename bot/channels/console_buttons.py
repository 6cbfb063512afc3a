"""Buttons in the terminal: they cannot be pressed, so each shows the command that does the
same (`[重新打开 → /reopen 3]`); a row of rating stars becomes one hint."""
from __future__ import annotations

from ..delivery.outgoing import Button
from ..foundation.i18n import t
from .console_surveys import button_command as survey_command

LANG = "zh-CN"
# callback data (split on ":") → the terminal command, by the data's first part
_COMMANDS = {
    "fu": lambda p: f"/followup {p[1]} {p[2]}" if len(p) == 3 else None,
    "reopen": lambda p: f"/reopen {p[1]}" if len(p) == 2 else None,
    "human": lambda p: "/end" if p[1:] == ["end"] else "/human" if len(p) == 1 else None,
    "new": lambda p: "/new" if len(p) == 1 else None,
    "ev": lambda p: f"/{p[1]} {p[2]}" if len(p) == 3 and p[1] in ("join", "leave") else None,
    "sv": lambda p: survey_command(p) if len(p) >= 3 else None,
    "sub": lambda p: "/unsubscribe" if p[1:] == ["off"] else None,
    "tk": lambda p: {"claim": f"/take {p[2]}", "resolve": f"/resolve {p[2]} …",
                     "close": f"/close {p[2]}", "reopen": f"/reopen {p[2]}"}.get(p[1])
    if len(p) == 3 else None,
}


def command_of(button: Button) -> str | None:
    """The terminal command a button stands for, or None."""
    parts = (button.data or "").split(":")
    make = _COMMANDS.get(parts[0])
    return make(parts) if make else None


def render(buttons: list[list[Button]]) -> str:
    """A message's buttons on one line."""
    shown: list[str] = []
    for button in (b for row in buttons for b in row):
        parts = (button.data or "").split(":")
        if parts[0] == "rate" and len(parts) == 3:
            hint = t("console.rate_button", LANG, id=parts[1])
            if hint not in shown:
                shown.append(hint)
            continue
        command = command_of(button)
        shown.append(t("console.button", LANG, text=button.text, command=command) if command
                     else f"[{button.text}]")
    return " ".join(shown)
