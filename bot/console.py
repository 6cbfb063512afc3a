"""The terminal chat: a channel over the same core the Telegram bot uses."""
from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable

from knowledge.decision import Decision
from knowledge.model import Entry

from .assistant import Assistant, Reply
from .i18n import SUPPORTED, t

Write = Callable[[str], None]


def render_entry(entry: Entry, lang: str) -> str:
    """An answer as plain text, with its source, review date and the disclaimer."""
    return t("answer.plain", lang, question=entry.question, answer=entry.answer,
             source=entry.source, updated=entry.updated.isoformat(),
             disclaimer=t("answer.disclaimer", lang))


def _numbered(entries: list[Entry]) -> str:
    return "\n".join(f"  {i}. {e.question}" for i, e in enumerate(entries, 1))


class ConsoleChat:
    """One enterprise user talking to the assistant in a terminal."""

    def __init__(self, assistant: Assistant, write: Write, lang: str = "zh-CN",
                 user_ref: str = "console") -> None:
        self.assistant = assistant
        self.write = write
        self.lang = lang
        self.user_ref = user_ref
        self.choices: list[Entry] = []
        self.offering_none = False

    def greet(self) -> None:
        self.write(t("console.welcome", self.lang, entries=len(self.assistant.knowledge.kb.entries)))

    async def handle(self, line: str) -> bool:
        """Handle one input line; False when the user wants to leave."""
        text = line.strip()
        if text in ("/quit", "/exit", "/q"):
            self.write(t("console.bye", self.lang))
            return False
        if text.startswith("/"):
            self.command(text)
        elif text.isdigit() and self.choices:
            self.choose(int(text))
        else:
            await self.ask(line)
        return True

    def command(self, text: str) -> None:
        name, _, arg = text.partition(" ")
        if name in ("/help", "/start"):
            self.write(t("console.help", self.lang))
        elif name == "/topics":
            self.topics(arg.strip())
        elif name == "/lang" and arg.strip() in SUPPORTED:
            self.lang = arg.strip()
            self.write(t("console.lang_set", self.lang))
        else:
            self.write(t("console.unknown_command", self.lang, command=name))

    def topics(self, arg: str) -> None:
        categories = self.assistant.categories()
        if arg.isdigit() and 1 <= int(arg) <= len(categories):
            entries = self.assistant.entries_in(categories[int(arg) - 1])
            self.choices, self.offering_none = entries, False
            self.write(t("console.topic_entries", self.lang, category=categories[int(arg) - 1],
                         items=_numbered(entries)))
            return
        lines = "\n".join(f"  {i}. {c}" for i, c in enumerate(categories, 1))
        self.write(t("console.topics", self.lang, items=lines))

    def choose(self, number: int) -> None:
        if number == 0 and self.offering_none:
            self.choices, self.offering_none = [], False
            self.write(t("reply.none_of_these", self.lang))
            return
        if not 1 <= number <= len(self.choices):
            self.write(t("console.bad_choice", self.lang, max=len(self.choices)))
            return
        self.show(self.choices[number - 1])

    def show(self, entry: Entry) -> None:
        self.write(render_entry(entry, self.lang))
        follow = self.assistant.follow_ups(entry)
        self.choices, self.offering_none = follow, False
        if follow:
            self.write(t("console.follow_ups", self.lang, items=_numbered(follow)))

    async def ask(self, text: str) -> None:
        reply = await self.assistant.ask(text, channel="console", user_ref=self.user_ref,
                                         lang=self.lang)
        self.present(reply)

    def present(self, reply: Reply) -> None:
        if reply.problem is not None:
            self.write(t(f"reply.{reply.problem.value}", self.lang,
                         max=self.assistant.max_question_chars))
        elif reply.decision is Decision.ANSWERED and reply.entry:
            self.show(reply.entry)
        elif reply.decision is Decision.SUGGESTED:
            self.choices, self.offering_none = reply.suggestions, True
            self.write(t("console.did_you_mean", self.lang, items=_numbered(reply.suggestions)))
        else:
            self.choices, self.offering_none = [], False
            self.write(t("reply.no_answer", self.lang))


async def stdin_lines() -> AsyncIterator[str]:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line


async def run_console(assistant: Assistant, lang: str, lines: AsyncIterator[str] | None = None,
                      write: Write = print, prompt: bool = True) -> None:
    chat = ConsoleChat(assistant, write, lang)
    chat.greet()
    async for line in lines or stdin_lines():
        if not await chat.handle(line):
            return
        if prompt:
            write("")
