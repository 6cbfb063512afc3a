"""Surveys in the terminal: `/survey N` starts or resumes one, `/answer N answer` answers its
current question (option numbers for choices), on the same core as Telegram's buttons."""
from __future__ import annotations

from ..app.command_types import number
from ..app.survey_commands import surveys
from ..delivery.outgoing import plain_text
from ..foundation.i18n import t
from ..outreach.surveys import step_text
from .console_dialog import Chat as ConsoleChat  # the terminal chat, typed by shape

COMMANDS = ("/survey", "/answer")


def button_command(parts: list[str]) -> str | None:
    """The command a survey button stands for in the terminal."""
    if parts[1] == "go":
        return f"/survey {parts[2]}"
    if parts[1] in ("a", "t"):
        return f"/answer {parts[2]} {int(parts[4]) + 1}"
    return None


async def command(chat: ConsoleChat, name: str, arg: str) -> None:
    words = arg.split(maxsplit=1)
    survey_id = number(words[0]) if words else None
    if survey_id is None or (name == "/answer" and len(words) < 2):
        chat.write(t("survey.console_usage", chat.lang))
        return
    service, contact = surveys(chat.services), await chat.contact()
    if name == "/survey":
        step = await service.start(contact.id, survey_id)
    else:
        step = await service.answer(contact.id, survey_id, words[1])
    if (text := step_text(step, chat.lang)) is not None:
        chat.write(plain_text(text))
