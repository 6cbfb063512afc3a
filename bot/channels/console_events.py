"""Service events in the terminal: `/join N`, `/leave N` (the invitation's buttons) and
`/myevents`, on the same core as Telegram's buttons."""
from __future__ import annotations

from ..app.command_types import number
from ..app.event_commands import events
from ..delivery.outgoing import plain_text
from ..foundation.i18n import t
from ..outreach.events import mine_text, signup_text
from .console_dialog import Chat as ConsoleChat  # the terminal chat, typed by shape

COMMANDS = ("/join", "/leave", "/myevents")
BUTTONS = {"join": "/join", "leave": "/leave"}


async def command(chat: ConsoleChat, name: str, arg: str) -> None:
    service, tz = events(chat.services), chat.services.calendar.tz
    contact = await chat.contact()
    if name == "/myevents":
        chat.write(plain_text(mine_text(await service.for_contact(contact.id), tz, chat.lang)))
        return
    event_id = number(arg)
    if event_id is None:
        chat.write(t("event.console_usage", chat.lang))
        return
    result = await (service.sign_up if name == "/join" else service.leave)(contact.id, event_id)
    chat.write(plain_text(signup_text(result, tz, chat.lang)))
