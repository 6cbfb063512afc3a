"""Every command a channel shows exists in that channel: the /commands named in the locale texts
it uses (its own and the shared ones), its help and the buttons the terminal turns into
commands are all handled there — no "unknown command" for something the bot itself advertised."""
import re
from pathlib import Path

import pytest
import yaml
from telegram.ext import CommandHandler, ConversationHandler

from bot.app.services import running_services
from bot.app.staff_commands import COMMANDS
from bot.channels import console_buttons
from bot.channels.console_chat import ConsoleChat
from bot.channels.telegram_app import ENTERPRISE_COMMANDS, build_application
from bot.delivery.outgoing import Button
from bot.foundation.settings import load_settings

LOCALES = Path(__file__).resolve().parents[2] / "bot" / "foundation" / "locales"
COMMAND = re.compile(r"(?<![\w/;<])/([a-z][a-z_]*)")
NOT_A_CHAT = ("config.", "cli.")  # texts of the command line, not of a chat channel


def texts() -> dict[str, str]:
    """Every locale text of both languages, by its dotted key."""
    found: dict[str, str] = {}

    def walk(prefix: str, node) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(f"{prefix}{key}.", value)
            else:
                found[f"{lang}:{prefix}{key}"] = str(value)

    for lang in ("zh-CN", "en"):
        walk("", yaml.safe_load((LOCALES / f"{lang}.yaml").read_text(encoding="utf-8")))
    return found


def shown_in(channel: str) -> dict[str, set[str]]:
    """The commands each text the channel shows names. Keys with "console" in them are the
    terminal's own, tg.* and commands.* Telegram's; the rest is shown by both."""
    other = "telegram" if channel == "terminal" else "terminal"
    named: dict[str, set[str]] = {}
    for key, text in texts().items():
        path = key.split(":", 1)[1]
        owner = ("terminal" if "console" in path else
                 "telegram" if path.startswith(("tg.", "commands.")) else None)
        if owner == other or path.startswith(NOT_A_CHAT):
            continue
        if commands := {f"/{c}" for c in COMMAND.findall(text)}:
            named[key] = commands
    return named


def test_the_texts_are_read():
    terminal, telegram = shown_in("terminal"), shown_in("telegram")
    assert {"/deleteme", "/as", "/done", "/quit"} <= set().union(*terminal.values())
    assert "/deleteme" in telegram["zh-CN:tg.help"] and "zh-CN:console.help" not in telegram


async def test_every_command_the_terminal_shows_exists_there(settings):
    async with running_services(settings) as services:
        chat = ConsoleChat(services, lambda _: None)
        handled = set(chat.commands) | set(chat.QUIT) | {"/as"} | {f"/{c}" for c in COMMANDS}
    missing = {key: names - handled for key, names in shown_in("terminal").items()
               if names - handled}
    assert not missing
    buttons = [Button("x", data) for data in (
        "fu:1:yes", "reopen:1", "human:end", "human", "new", "sub:off", "tk:claim:1",
        "tk:resolve:1", "tk:close:1", "tk:reopen:1")]
    offered = {console_buttons.command_of(b).split()[0] for b in buttons}
    assert offered <= handled


def telegram_commands(application) -> set[str]:
    found: set[str] = set()

    def visit(handler) -> None:
        if isinstance(handler, ConversationHandler):
            for inner in (*handler.entry_points, *handler.fallbacks,
                          *(h for hs in handler.states.values() for h in hs)):
                visit(inner)
        elif isinstance(handler, CommandHandler):
            found.update(f"/{c}" for c in handler.commands)

    for group in application.handlers.values():
        for handler in group:
            visit(handler)
    return found


@pytest.fixture
def telegram_settings(settings):
    return load_settings(environ={"SME_CONFIG": str(Path(__file__).parents[2] / "config.yaml"),
                                  "SME_DATABASE_URL": settings.database.url,
                                  "SME_KNOWLEDGE__DIR": str(settings.knowledge_dir),
                                  "SME_KNOWLEDGE__SEMANTIC": "off",
                                  "TELEGRAM_BOT_TOKEN": "123456:TEST-token"})


async def test_every_command_telegram_shows_exists_there(telegram_settings):
    async with running_services(telegram_settings) as services:
        handled = telegram_commands(build_application(services))
    missing = {key: names - handled for key, names in shown_in("telegram").items()
               if names - handled}
    assert not missing
    assert {f"/{c}" for c in ENTERPRISE_COMMANDS} <= handled  # the bot's command menu
