"""The terminal chat: a channel over the same core the Telegram bot uses.

As an enterprise (the default) you ask questions, file requests (/new), talk to staff (/human)
and rate their work; `/as staff` switches to the platform staff's side (queue, claim, reply,
resolve …). Messages the core sends through the outbox are printed as they are delivered.
"""
from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from itertools import count

from knowledge.decision import Decision
from knowledge.model import Entry

from . import console_events, console_subscribe, console_surveys
from ..answering.answer_text import render_entry
from ..answering.assistant import Reply
from ..app.command_types import number
from ..requests.contacts import ProfileInput
from ..app.handoff import hand_off
from ..foundation.i18n import SUPPORTED, t
from ..delivery.outgoing import Button, Outgoing, plain_text
from ..delivery.outbox import Delivered
from ..app.services import Services
from ..requests.sla_views import FOLLOWUP_ANSWERS, followup_outcome
from ..requests.staff_directory import Actor, Role
from ..app.platform_commands import dialog_line
from ..app.staff_commands import COMMANDS, REGISTRY, run_command
from ..requests.ticket_views import category_label, status_label
from ..requests.ticket_rules import CATEGORIES, MAX_DESCRIPTION
from ..requests.tickets import Content
from ..requests.validators import (
    ValidationError, validate_company_name, validate_credit_code, validate_person_name,
    validate_phone,
)

Write = Callable[[str], None]
CONSOLE_CHAT = "console"
CONSOLE_STAFF_CHAT = "-1"
def _numbered(entries: list[Entry]) -> str:
    return "\n".join(f"  {i}. {e.question}" for i, e in enumerate(entries, 1))


def _button(button: Button) -> str:
    """A button as the terminal shows it; a follow-up answer names the command that gives it."""
    parts = (button.data or "").split(":")
    if len(parts) == 3 and parts[0] == "fu":
        return t("sla.followup.console_button", "zh-CN", text=button.text, id=parts[1],
                 answer=parts[2])
    if len(parts) >= 3 and parts[0] == "sv" and (command := console_surveys.button_command(parts)):
        return t("survey.console_button", "zh-CN", text=button.text, command=command)
    if len(parts) == 3 and parts[0] == "ev" and parts[1] in console_events.BUTTONS:
        return t("event.console_button", "zh-CN", text=button.text,
                 command=console_events.BUTTONS[parts[1]], id=parts[2])
    return f"[{button.text}]"


class ConsoleTransport:
    """Delivers outbox messages to the terminal, labelled with who receives them."""

    def __init__(self, write: Write) -> None:
        self.write = write
        self._ids = count(1)

    async def send(self, chat_id: str, message: Outgoing, thread_id: int | None,
                   edit_message_id: int | None) -> Delivered:
        if message.kind != "topic":
            side = "console.to_staff" if chat_id == CONSOLE_STAFF_CHAT else "console.to_user"
            label = t(side, "zh-CN", topic=f" · #{thread_id}" if thread_id else "")
            buttons = " ".join(_button(b) for row in message.buttons for b in row)
            body = plain_text(message.text) or t("console.media", "zh-CN")
            if message.file_path:
                body = t("console.file", "zh-CN", path=message.file_path, caption=body)
            if edit_message_id is not None and message.edit_target == "card":
                # an updated staff card: its headline is enough
                body = t("console.card_updated", "zh-CN", card=body.splitlines()[0])
            self.write(f"{label} {body}" + (f"\n    {buttons}" if buttons else ""))
        return Delivered(edit_message_id or next(self._ids))

    async def create_topic(self, chat_id: str, name: str) -> int | None:
        return next(self._ids)


class ConsoleIntake:
    """`/new` in the terminal: the same steps and validators as the Telegram intake."""

    STEPS = ("category", "describe", "company", "credit_code", "contact_name", "phone",
             "consent", "confirm")
    VALIDATORS = {"company": validate_company_name, "credit_code": validate_credit_code,
                  "contact_name": validate_person_name, "phone": validate_phone}
    NEXT_PROMPT = {"company": "intake.credit_code", "credit_code": "intake.contact_name",
                   "contact_name": "intake.phone"}

    def __init__(self, chat: "ConsoleChat", has_profile: bool) -> None:
        self.chat = chat
        self.has_profile = has_profile
        self.step = "category"
        self.data: dict = {"text": []}

    def say(self, key: str, **params) -> None:
        self.chat.write(plain_text(t(key, self.chat.lang, **params)))

    def start(self) -> None:
        items = "\n".join(f"  {i}. {category_label(c, self.chat.lang)}"
                          for i, c in enumerate(CATEGORIES, 1))
        self.chat.write(plain_text(t("intake.category", self.chat.lang)) + "\n" + items)

    async def handle(self, text: str) -> bool:
        """Consume one line; True when the intake is over."""
        lang = self.chat.lang
        if text == "/cancel":
            self.say("intake.cancelled")
            return True
        if self.step == "category":
            if not (text.isdigit() and 1 <= int(text) <= len(CATEGORIES)):
                self.say("console.pick_number", max=len(CATEGORIES))
                return False
            self.data["category"] = CATEGORIES[int(text) - 1]
            self.step = "describe"
            self.say("console.describe", category=category_label(self.data["category"], lang))
        elif self.step == "describe":
            if text != "/done":
                if sum(map(len, self.data["text"])) + len(text) > MAX_DESCRIPTION:
                    self.say("intake.too_long", max=MAX_DESCRIPTION)
                    return False
                self.data["text"].append(text)
                self.say("console.more")
                return False
            if not self.data["text"]:
                self.say("intake.describe_first")
                return False
            self.step = "confirm" if self.has_profile else "company"
            self.say("intake.company") if not self.has_profile else self.confirm_prompt()
        elif self.step in self.VALIDATORS:
            try:
                self.data[self.step] = self.VALIDATORS[self.step](text)
            except ValidationError as exc:
                self.say(f"intake.err.{exc.reason}")
                return False
            if self.step == "phone":
                self.step = "consent"
                self.say("console.consent")
            else:
                self.say(self.NEXT_PROMPT[self.step])
                self.step = self.STEPS[self.STEPS.index(self.step) + 1]
        elif self.step == "consent":
            if text.lower() not in ("y", "yes", "是", "同意"):
                self.say("intake.no_consent")
                return True
            self.data["consent"] = True
            self.step = "confirm"
            self.confirm_prompt()
        elif self.step == "confirm":
            if text.lower() in ("y", "yes", "是", "确认"):
                await self.submit()
            else:
                self.say("intake.cancelled")
            return True
        return False

    def confirm_prompt(self) -> None:
        self.say("intake.confirm", category=category_label(self.data["category"], self.chat.lang),
                 text="\n".join(self.data["text"])[:1000], files=0,
                 company=self.data.get("company", ""))
        self.say("console.confirm")

    async def submit(self) -> None:
        services, contact = self.chat.services, await self.chat.contact()
        if self.data.get("consent"):
            await services.contacts.save_profile(contact.id, ProfileInput(
                self.data["company"], self.data["credit_code"], self.data["contact_name"],
                self.data["phone"]))
        await services.tickets.create(contact.id, self.data["category"],
                                      "\n".join(self.data["text"]))


class ConsoleChat:
    """One person at a terminal, as an enterprise user or (after `/as staff`) as staff."""

    def __init__(self, services: Services, write: Write, lang: str = "zh-CN") -> None:
        self.services = services
        self.assistant = services.assistant
        self.write = write
        self.lang = lang
        self.role = "enterprise"
        self.choices: list[Entry] = []
        self.offering_none = False
        self.intake: ConsoleIntake | None = None
        self.staff_actor = Actor("staff", "console", t("console.staff_name", "zh-CN"), Role.ADMIN)
        self.staff_dialog: dict | None = None  # a guided staff dialog's state (/record)

    async def contact(self):
        return await self.services.contacts.ensure("console", CONSOLE_CHAT, CONSOLE_CHAT,
                                                   t("console.user_name", "zh-CN"), self.lang)

    def greet(self) -> None:
        self.write(t("console.welcome", self.lang, entries=len(self.services.knowledge.kb.entries)))

    async def handle(self, line: str) -> bool:
        """Handle one input line; False when the user wants to leave."""
        text = line.strip()
        if text in ("/quit", "/exit", "/q"):
            self.write(t("console.bye", self.lang))
            return False
        if text.startswith("/as "):
            self.switch(text[4:].strip())
        elif self.intake is not None:
            if await self.intake.handle(text):
                self.intake = None
        elif self.role == "staff":
            await self.staff_line(text)
        elif text.startswith("/"):
            await self.command(text)
        elif text.isdigit() and self.choices:
            self.choose(int(text))
        else:
            await self.message(line)
        return True

    @staticmethod
    def staff_commands() -> str:
        return " ".join(f"/{name}" for name in COMMANDS)

    def switch(self, role: str) -> None:
        if role not in ("staff", "enterprise"):
            self.write(t("console.as_usage", self.lang))
            return
        self.role = role
        self.write(t(f"console.now_{role}", self.lang, commands=self.staff_commands()))

    async def staff_line(self, text: str) -> None:
        if self.staff_dialog is not None and (not text.startswith("/") or text == "/cancel"):
            result, self.staff_dialog = await dialog_line(self.services, self.staff_actor,
                                                          self.staff_dialog, text)
            self.write(plain_text(result.text))
            return
        name, rest = (text.lstrip("/").split(maxsplit=1) + ["", ""])[:2]
        if not text.startswith("/") or name not in COMMANDS:
            self.write(t("console.staff_help", self.lang))
            return
        result = await run_command(self.services, self.staff_actor, name,
                                   REGISTRY[name].args_of(rest))
        self.staff_dialog = result.dialog  # a guided dialog begins (or another command ends it)
        buttons = " ".join(f"[{b.text}]" for row in result.buttons for b in row)
        self.write(plain_text(result.text) + (f"\n    {buttons}" if buttons else ""))
        for file in result.files:
            self.write(t("console.file", self.lang, path=file.file_path,
                         caption=plain_text(file.text)))

    async def command(self, text: str) -> None:
        name, _, arg = text.partition(" ")
        arg = arg.strip()
        if name in ("/help", "/start"):
            self.write(t("console.help", self.lang, staff_commands=self.staff_commands()))
        elif name == "/topics":
            self.topics(arg)
        elif name == "/lang" and arg in SUPPORTED:
            self.lang = arg
            self.write(t("console.lang_set", self.lang))
        elif name == "/new":
            contact = await self.contact()
            profile = await self.services.contacts.profile(contact.id)
            self.intake = ConsoleIntake(self, bool(profile and profile.consent_at))
            self.intake.start()
        elif name == "/human":
            if await hand_off(self.services, await self.contact()) is None:
                self.write(plain_text(t("tg.already_human", self.lang)))
        elif name == "/end":
            ended = await self.services.tickets.end_human_mode((await self.contact()).id)
            self.write(plain_text(t("tg.human_ended_long" if ended else "refuse.not_in_human_mode",
                               self.lang)))
        elif name == "/mytickets":
            await self.my_tickets()
        elif name in ("/subscribe", "/unsubscribe"):
            await console_subscribe.command(self, name, arg)
        elif name in ("/rate", "/reopen"):
            await self.ticket_feedback(name, arg.split())
        elif name == "/followup":
            await self.followup(arg.split())
        elif name in console_events.COMMANDS:
            await console_events.command(self, name, arg)
        elif name in console_surveys.COMMANDS:
            await console_surveys.command(self, name, arg)
        else:
            self.write(t("console.unknown_command", self.lang, command=name))

    async def ticket_feedback(self, name: str, args: list[str]) -> None:
        """`/rate N score` and `/reopen N` on the user's own request."""
        numbers = [number(a) for a in args]
        if len(numbers) != (2 if name == "/rate" else 1) or None in numbers:
            self.write(t(f"console.usage_{name[1:]}", self.lang))
            return
        contact, tickets = await self.contact(), self.services.tickets
        if name == "/rate":
            outcome = await tickets.rate(contact.id, numbers[0], numbers[1])
        else:
            outcome = await tickets.reopen_by_enterprise(contact.id, numbers[0])
        if not outcome.ok:
            self.write(plain_text(t(f"refuse.{outcome.reason}", self.lang, **outcome.params)))

    async def followup(self, args: list[str]) -> None:
        """`/followup N yes|no`: the answer to a follow-up visit, as its buttons give it."""
        ticket_id = number(args[0]) if len(args) == 2 else None
        if ticket_id is None or args[1].lower() not in FOLLOWUP_ANSWERS:
            self.write(plain_text(t("sla.followup.console_usage", self.lang)))
            return
        outcome = await self.services.tickets.answer_followup(
            (await self.contact()).id, ticket_id, FOLLOWUP_ANSWERS[args[1].lower()])
        if not outcome.ok:
            self.write(plain_text(followup_outcome(outcome, self.lang)))

    async def my_tickets(self) -> None:
        tickets = await self.services.tickets.for_contact((await self.contact()).id)
        if not tickets:
            self.write(plain_text(t("tg.no_tickets", self.lang)))
            return
        lines = [plain_text(t("tg.ticket_line", self.lang, id=tk.id,
                         category=category_label(tk.category, self.lang),
                         status=status_label(tk.status, self.lang),
                         date=tk.created_at.strftime("%Y-%m-%d"), text=tk.description[:40]))
                 for tk in tickets]
        self.write(plain_text(t("tg.my_tickets", self.lang)) + "\n" + "\n".join(lines))

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

    async def message(self, text: str) -> None:
        contact = await self.contact()
        if contact.human_ticket_id is not None:
            outcome = await self.services.tickets.enterprise_message(
                contact.id, Content("text", text.strip()))
            if outcome.ok:
                return
        reply = await self.assistant.ask(text, channel="console", user_ref=contact.external_id,
                                         contact_id=contact.id, lang=self.lang)
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
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line


async def run_console(services: Services, lang: str, lines: AsyncIterator[str] | None = None,
                      write: Write = print) -> None:
    sender = services.start_sender(ConsoleTransport(write), CONSOLE_STAFF_CHAT, background=False)
    chat = ConsoleChat(services, write, lang)
    chat.greet()
    await sender.deliver_due()
    async for line in lines or stdin_lines():
        if not await chat.handle(line):
            break
        await sender.deliver_due()  # print what the core sent, in step with the input
