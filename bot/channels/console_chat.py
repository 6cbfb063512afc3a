"""The terminal chat: a channel over the same core the Telegram bot uses.

As an enterprise (the default) you ask questions, file requests (/new), talk to staff (/human)
and rate their work; `/as staff` switches to the platform staff's side (queue, claim, reply,
resolve …). Messages the core sends through the outbox are printed as they are delivered.
"""
from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
from collections.abc import AsyncIterator, Callable
from itertools import count
from typing import Any

from knowledge.decision import Decision
from knowledge.model import Entry
from storage.saved_state import SavedState

from . import console_buttons, console_events, console_subscribe, console_surveys
from .console_dialog import Dialog, command_name
from ..answering import answer_views
from ..answering.answer_text import render_entry, render_under_review
from ..answering.assistant import Reply
from ..app.command_types import number
from ..requests.contacts import ProfileInput
from ..requests.profiles import industry_choice, numbered_industries, profile_reply
from ..app.handoff import hand_off
from ..app.platform_commands import dialog_line
from ..app.privacy import KEPT_KIND, erase_contact
from ..app.question_forwarding import forward_question
from ..foundation.i18n import language_named, other_language, t
from ..foundation.numbers import whole_number
from ..delivery.outgoing import Outgoing, plain_text
from ..delivery.outbox import Delivered, highest_message_id
from ..app.services import Services
from ..requests.sla_views import FOLLOWUP_ANSWERS, followup_outcome
from ..requests.staff_directory import Actor, Role
from ..app.staff_commands import COMMANDS, REGISTRY, run_command
from ..requests.ticket_views import category_label
from ..requests.ticket_rules import CATEGORIES, MAX_DESCRIPTION
from ..requests.tickets import Content
from ..requests.validators import (
    ValidationError, validate_company_name, validate_credit_code, validate_person_name,
    validate_phone,
)

log = logging.getLogger(__name__)
Write = Callable[[str], None]
CONSOLE_CHAT = "console"
CONSOLE_STAFF_CHAT = "-1"
KEPT_KEY = CONSOLE_CHAT  # the terminal user's unfinished /new, by their contact's external id
# Typed answers to the terminal's yes/no questions (consent, confirmation, /deleteme), and
# "change the category" at the confirmation.
YES = frozenset({"y", "yes", "是", "同意", "确认", "确定"})
NO = frozenset({"n", "no", "否", "不", "放弃"})
CHANGE = frozenset({"c", "改", "修改", "修改类别"})


def _numbered(entries: list[Entry]) -> str:
    return "\n".join(f"  {i}. {e.question}" for i, e in enumerate(entries, 1))


class ConsoleTransport:
    """Delivers outbox messages to the terminal, labelled with who receives them."""

    def __init__(self, write: Write, first_id: int = 1) -> None:
        self.write = write
        # ids go on from those an earlier run recorded (`highest_message_id`)
        self._ids = count(first_id)

    async def send(self, chat_id: str, message: Outgoing, thread_id: int | None,
                   edit_message_id: int | None) -> Delivered:
        if message.kind != "topic":
            side = "console.to_staff" if chat_id == CONSOLE_STAFF_CHAT else "console.to_user"
            label = t(side, "zh-CN", topic=f" · #{thread_id}" if thread_id else "")
            buttons = console_buttons.render(message.buttons)
            body = plain_text(message.text) or t("console.media", "zh-CN")
            if message.file_path:
                body = t("console.file", "zh-CN", path=message.file_path, caption=body)
            if edit_message_id is not None and message.edit_target == "card":
                # an updated staff card: its headline is enough
                body = t("console.card_updated", "zh-CN", card=body.splitlines()[0])
            self.write(f"{label} {body}" + (f"\n    {buttons}" if buttons else ""))
        return Delivered(edit_message_id or next(self._ids))

    async def create_topic(self, chat_id: str, name: str) -> int | None:
        """A request's topic is numbered as the request ("#12 融资 · …"): the label then reads
        [→ 员工群 · #12] on every message about it, in this run and the next."""
        found = re.match(r"#(\d+) ", name)
        return int(found.group(1)) if found else next(self._ids)


class ConsoleIntake:
    """`/new` in the terminal: the same steps and validators as the Telegram intake. Its state
    is kept in the database after every step: a restart of the terminal chat resumes it."""

    name = "intake"
    STEPS = ("category", "describe", "company", "credit_code", "contact_name", "phone",
             "industry", "consent", "confirm")
    VALIDATORS = {"company": validate_company_name, "credit_code": validate_credit_code,
                  "contact_name": validate_person_name, "phone": validate_phone}
    PROMPTS = {"company": "intake.company", "credit_code": "intake.credit_code",
               "contact_name": "intake.contact_name", "phone": "intake.phone",
               "consent": "console.consent"}

    def __init__(self, chat: "ConsoleChat", has_profile: bool, step: str = "category",
                 data: dict | None = None, company: str = "") -> None:
        self.chat = chat
        self.has_profile = has_profile
        self.company = company  # of the saved profile, shown in the confirmation
        self.step = step
        self.data: dict = data or {"text": []}

    @classmethod
    def restore(cls, chat: "ConsoleChat", state: Any) -> "ConsoleIntake | None":
        """The intake a previous run kept (`state()`), or None when it is not one."""
        if not (isinstance(state, dict) and state.get("step") in cls.STEPS
                and isinstance(state.get("data"), dict)
                and isinstance(state["data"].get("text"), list)
                and (state["step"] == "category" or state["data"].get("category") in CATEGORIES)):
            return None
        return cls(chat, bool(state.get("has_profile")), state["step"], state["data"],
                   str(state.get("company") or ""))

    def state(self) -> dict:
        return {"step": self.step, "data": self.data, "has_profile": self.has_profile,
                "company": self.company}

    def commands(self) -> frozenset[str]:
        return frozenset({"/cancel", "/done"} if self.step == "describe" else {"/cancel"})

    def say(self, key: str, **params) -> None:
        self.chat.write(plain_text(t(key, self.chat.lang, **params)))

    def prompt(self) -> str:
        lang = self.chat.lang
        if self.step == "category":
            items = "\n".join(f"  {i}. {category_label(c, lang)}"
                              for i, c in enumerate(CATEGORIES, 1))
            return plain_text(t("intake.category", lang)) + "\n" + items
        if self.step == "industry":
            return plain_text(t("console.industry", lang, items=numbered_industries(
                self.chat.services.settings.intake.industries)))
        if self.step == "describe":
            prompt = plain_text(t("console.describe", lang,
                                  category=category_label(self.data["category"], lang)))
            if self.data["text"]:  # resumed: what was typed before is not asked again
                prompt += "\n" + t("console.described_so_far", lang,
                                   text="\n".join(self.data["text"])[:1000])
            return prompt
        if self.step == "confirm":
            return plain_text(t("intake.confirm", lang,
                                category=category_label(self.data["category"], lang),
                                text="\n".join(self.data["text"])[:1000], files=0,
                                company=self.data.get("company") or self.company)
                              + "\n" + t("console.confirm", lang))
        return plain_text(t(self.PROMPTS[self.step], lang))

    def start(self) -> None:
        self.chat.write(self.prompt())

    async def handle(self, text: str) -> bool:
        """Consume one line; True when the intake is over."""
        if text == "/cancel":
            self.say("intake.cancelled")
            return True
        if self.step == "category":
            choice = whole_number(text, len(CATEGORIES))
            if not choice:
                self.say("console.pick_number", max=len(CATEGORIES))
                return False
            self.data["category"] = CATEGORIES[choice - 1]
            # Chosen again from the confirmation (c): back to it, the rest is kept.
            self.step = "confirm" if self.data["text"] else "describe"
            self.start()
        elif self.step == "describe":
            if not text:  # an empty line adds nothing
                self.say("console.more" if self.data["text"] else "intake.describe_first")
                return False
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
            self.start()
        elif self.step in self.VALIDATORS:
            try:
                self.data[self.step] = self.VALIDATORS[self.step](text)
            except ValidationError as exc:
                self.say(f"intake.err.{exc.reason}")
                return False
            self.step = self.STEPS[self.STEPS.index(self.step) + 1]
            self.start()
        elif self.step == "industry":
            industries = self.chat.services.settings.intake.industries
            try:
                self.data["industry"] = industry_choice(text, industries)
            except ValidationError as exc:
                self.say(f"intake.err.{exc.reason}", max=len(industries))
                return False
            self.step = "consent"
            self.start()
        elif self.step == "consent":
            if text.lower() not in YES:
                self.say("intake.no_consent")
                return True
            self.data["consent"] = True
            self.step = "confirm"
            self.start()
        elif self.step == "confirm":
            answer = text.lower()
            if answer in CHANGE:
                self.step = "category"
                self.start()
                return False
            if answer in YES:
                await self.submit()
            elif answer in NO:
                self.say("intake.cancelled")
            else:  # a slip of the keyboard must not throw the request away
                self.say("console.confirm")
                return False
            return True
        return False

    async def submit(self) -> None:
        services, contact = self.chat.services, await self.chat.contact()
        if self.data.get("consent"):
            await services.contacts.save_profile(contact.id, ProfileInput(
                self.data["company"], self.data["credit_code"], self.data["contact_name"],
                self.data["phone"], self.data.get("industry")))
        await services.tickets.create(contact.id, self.data["category"],
                                      "\n".join(self.data["text"]))


class ConsoleDeleteMe:
    """`/deleteme`: the same warning as on Telegram, then y erases and anything else keeps."""

    name = "deleteme"

    def __init__(self, chat: "ConsoleChat") -> None:
        self.chat = chat

    def commands(self) -> frozenset[str]:
        return frozenset({"/cancel"})

    def prompt(self) -> str:
        lang = self.chat.lang
        return plain_text(t("tg.deleteme_confirm", lang)) + "\n" + t("console.deleteme_yes", lang)

    def state(self) -> None:
        return None

    async def handle(self, text: str) -> bool:
        lang = self.chat.lang
        if text.lower() not in YES:
            self.chat.write(plain_text(t("tg.deleteme_kept", lang)))
            return True
        erased = await erase_contact(self.chat.services.sessions, (await self.chat.contact()).id)
        self.chat.write(plain_text(t(
            "tg.deleteme_done", lang, questions=erased.questions, messages=erased.messages,
            tickets=erased.tickets,
            profile=t("tg.profile_erased" if erased.profile else "tg.profile_none", lang))))
        return True


class ConsoleChat:
    """One person at a terminal, as an enterprise user or (after `/as staff`) as staff.

    At most one dialog is open (`/new`, the subscription questions, `/deleteme`). A line goes
    to it unless it is a command the dialog does not take: that command runs (or, when it
    would open another dialog, is refused) and the dialog waits, saying so — a command is
    never taken as an answer. The open `/new` is kept in the database and resumed by the next
    run."""

    QUIT = ("/quit", "/exit", "/q")
    OPENS_DIALOG = ("/new", "/subscribe", "/deleteme")
    DIALOG_ONLY = ("/cancel", "/done", "/skip")  # meaningful only inside a dialog

    def __init__(self, services: Services, write: Write, lang: str = "zh-CN") -> None:
        self.services = services
        self.assistant = services.assistant
        self.write = write
        self.lang = lang
        self.role = "enterprise"
        self.choices: list[Entry] = []
        self.offering_none = False
        self.forwardable: int | None = None  # the last unanswered question, for /forward
        self.dialog: Dialog | None = None
        self.staff_dialog: dict | None = None  # a guided staff dialog's state (/record)
        self.kept = SavedState(services.sessions, KEPT_KIND)
        self.staff_actor = Actor("staff", "console", t("console.staff_name", "zh-CN"), Role.ADMIN)
        self.commands = {
            "/help": self.help, "/start": self.help, "/topics": self.topics,
            "/lang": self.set_language, "/new": self.new, "/human": self.human,
            "/end": self.end_human, "/mytickets": self.my_tickets,
            "/forward": self.forward, "/profile": self.profile,
            "/subscribe": self.subscribe, "/unsubscribe": self.subscribe,
            "/rate": self.ticket_feedback, "/reopen": self.ticket_feedback,
            "/followup": self.followup, "/deleteme": self.delete_me,
            **{name: self.outside_dialog for name in self.DIALOG_ONLY},
            **{name: self.events for name in console_events.COMMANDS},
            **{name: self.surveys for name in console_surveys.COMMANDS},
        }

    async def contact(self):
        return await self.services.contacts.ensure("console", CONSOLE_CHAT, CONSOLE_CHAT,
                                                   t("console.user_name", "zh-CN"), self.lang)

    def greet(self) -> None:
        self.write(t("console.welcome", self.lang, entries=len(self.services.knowledge.kb.entries)))

    async def resume(self) -> None:
        """Say that the conversation is still with staff (a restart must not hide it), and
        reopen the `/new` an earlier run left unfinished."""
        contact = await self.contact()
        if contact.human_ticket_id is not None:
            self.write(t("console.still_with_staff", self.lang, id=contact.human_ticket_id))
        intake = ConsoleIntake.restore(self, await self.kept.load(KEPT_KEY))
        if intake is not None:
            self.dialog = intake
            self.write(t("console.resumed", self.lang))
            self.write(intake.prompt())

    async def handle(self, line: str) -> bool:
        """Handle one input line; False when the user wants to leave."""
        text = line.strip()
        name = command_name(text)
        if name in self.QUIT:
            if self.dialog is not None and self.dialog.state() is not None:
                self.write(t("console.dialog_kept", self.lang, dialog=self.dialog_label()))
            self.write(t("console.bye", self.lang))
            return False
        if name == "/as":
            self.switch(text[3:].strip())
        elif self.role == "staff":
            await self.staff_line(text)
        elif self.dialog is not None and (name is None or name in self.dialog.commands()):
            dialog = self.dialog
            finished = await dialog.handle(text)
            if self.dialog is dialog:
                await self.set_dialog(None if finished else dialog)
        elif name is not None:
            dialog = self.dialog
            await self.command(name, text[len(name):].strip())
            if dialog is not None and self.dialog is dialog:
                self.remind()
        elif whole_number(text) is not None and self.choices:
            self.choose(whole_number(text))
        else:
            await self.message(line)
        return True

    # ---- dialogs -------------------------------------------------------------------------

    def dialog_label(self) -> str:
        return t(f"console.dialog.{self.dialog.name}", self.lang) if self.dialog else ""

    def remind(self) -> None:
        """The open dialog is still waiting: say which, and what it asks."""
        self.write(t("console.dialog_waiting", self.lang, dialog=self.dialog_label()) + "\n"
                   + self.dialog.prompt())

    async def set_dialog(self, dialog: "Dialog | None") -> None:
        """Open, keep or (None) close the dialog; what a restart should resume is saved."""
        self.dialog = dialog
        state = dialog.state() if dialog is not None else None
        if state is not None:
            await self.kept.save(KEPT_KEY, state)
        else:
            await self.kept.remove(KEPT_KEY)

    async def open_dialog(self, dialog: "Dialog") -> None:
        await self.set_dialog(dialog)
        self.write(dialog.prompt())

    async def outside_dialog(self, name: str, arg: str) -> None:
        """/cancel, /done or /skip that no open dialog takes."""
        if self.dialog is None:
            self.write(t("console.nothing_open", self.lang, command=name))

    # ---- enterprise commands -------------------------------------------------------------

    @staticmethod
    def staff_commands() -> str:
        return " ".join(f"/{name}" for name in COMMANDS)

    def switch(self, role: str) -> None:
        if role not in ("staff", "enterprise"):
            self.write(t("console.as_usage", self.lang))
            return
        self.role = role
        self.write(t(f"console.now_{role}", self.lang, commands=self.staff_commands()))
        calendar = self.services.calendar
        today = self.services.clock().astimezone(calendar.tz).date()
        if role == "staff" and (gap := calendar.coverage_warning(today, self.lang)):
            self.write(gap)
        if role == "enterprise" and self.dialog is not None:
            self.remind()

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
        buttons = console_buttons.render(result.buttons)
        self.write(plain_text(result.text) + (f"\n    {buttons}" if buttons else ""))
        for file in result.files:
            self.write(t("console.file", self.lang, path=file.file_path,
                         caption=plain_text(file.text)))

    async def command(self, name: str, arg: str) -> None:
        run = self.commands.get(name)
        if run is None:
            key = "console.staff_only" if name[1:] in COMMANDS else "console.unknown_command"
            self.write(t(key, self.lang, command=name))
        elif (self.dialog is not None and name in self.OPENS_DIALOG
              and not (name == "/new" and self.dialog.name == "intake")):
            self.write(t("console.dialog_busy", self.lang, dialog=self.dialog_label(),
                         command=name))
        else:
            await run(name, arg)

    async def help(self, name: str, arg: str) -> None:
        self.write(t("console.help", self.lang, staff_commands=self.staff_commands()))

    async def set_language(self, name: str, arg: str) -> None:
        wanted = language_named(arg) if arg.strip() else other_language(self.lang)
        if wanted is None:
            self.write(plain_text(t("tg.lang_usage", self.lang)))
            return
        self.lang = wanted
        self.write(t("console.lang_set", self.lang))

    async def new(self, name: str, arg: str) -> None:
        if self.dialog is not None:  # an unfinished /new: it starts again
            self.write(t("console.dialog_dropped", self.lang, dialog=self.dialog_label()))
        contact = await self.contact()
        profile = await self.services.contacts.profile(contact.id)
        await self.open_dialog(ConsoleIntake(self, bool(profile and profile.consent_at),
                                             company=profile.company_name or "" if profile
                                             else ""))

    async def human(self, name: str, arg: str) -> None:
        if await hand_off(self.services, await self.contact()) is None:
            self.write(plain_text(t("tg.already_human", self.lang)))

    async def end_human(self, name: str, arg: str) -> None:
        ended = await self.services.tickets.end_human_mode((await self.contact()).id)
        self.write(plain_text(t("tg.human_ended_long" if ended else "refuse.not_in_human_mode",
                                self.lang)))

    async def forward(self, name: str, arg: str) -> None:
        """The last unanswered question to staff, as a request (its text filled in)."""
        contact = await self.contact()
        if self.forwardable is None or await forward_question(
                self.services, contact, self.forwardable) is None:
            self.write(t("console.nothing_to_forward", self.lang))
        self.forwardable = None

    async def profile(self, name: str, arg: str) -> None:
        self.write(plain_text(await profile_reply(
            self.services.contacts, (await self.contact()).id, arg,
            self.services.settings.intake.industries, self.lang)))

    async def events(self, name: str, arg: str) -> None:
        await console_events.command(self, name, arg)

    async def surveys(self, name: str, arg: str) -> None:
        await console_surveys.command(self, name, arg)

    async def subscribe(self, name: str, arg: str) -> None:
        questions = await console_subscribe.command(self, name, arg)
        if questions is not None:
            await self.set_dialog(questions)

    async def delete_me(self, name: str, arg: str) -> None:
        await self.open_dialog(ConsoleDeleteMe(self))

    async def ticket_feedback(self, name: str, arg: str) -> None:
        """`/rate N score` and `/reopen N` on the user's own request."""
        numbers = [number(a) for a in arg.split()]
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

    async def followup(self, name: str, arg: str) -> None:
        """`/followup N yes|no`: the answer to a follow-up visit, as its buttons give it."""
        args = arg.split()
        ticket_id = number(args[0]) if len(args) == 2 else None
        if ticket_id is None or args[1].lower() not in FOLLOWUP_ANSWERS:
            self.write(plain_text(t("sla.followup.console_usage", self.lang)))
            return
        outcome = await self.services.tickets.answer_followup(
            (await self.contact()).id, ticket_id, FOLLOWUP_ANSWERS[args[1].lower()])
        if not outcome.ok:
            self.write(plain_text(followup_outcome(outcome, self.lang)))

    async def my_tickets(self, name: str, arg: str) -> None:
        tickets = await self.services.tickets.for_contact((await self.contact()).id)
        if not tickets:
            self.write(plain_text(t("tg.no_tickets", self.lang)))
            return
        views = self.services.tickets.views
        lines = [plain_text(views.my_ticket_line(tk, self.lang)) for tk in tickets]
        self.write(plain_text(t("tg.my_tickets", self.lang)) + "\n" + "\n".join(lines))

    async def topics(self, name: str, arg: str) -> None:
        categories = self.assistant.categories()
        if chosen := whole_number(arg, len(categories)):
            entries = self.assistant.entries_in(categories[chosen - 1])
            self.choices, self.offering_none = entries, False
            self.write(t("console.topic_entries", self.lang, category=categories[chosen - 1],
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

    def show(self, entry: Entry, related: list[Entry] = ()) -> None:
        if self.assistant.under_review(entry):
            self.choices, self.offering_none = [], False
            self.write(render_under_review(entry, self.lang))
            return
        self.write(render_entry(entry, self.lang))
        follow = answer_views.linked(entry, related, self.assistant.follow_ups(entry))
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
        self.forwardable = None
        if reply.problem is not None:
            self.write(t(f"reply.{reply.problem.value}", self.lang,
                         max=self.assistant.max_question_chars))
        elif reply.small_talk is not None:
            self.write(plain_text(t(f"reply.small_talk.{reply.small_talk.value}", self.lang)))
        elif reply.matched:  # an answer, or the entry flagged as under review
            self.show(reply.matched, reply.related)
        elif reply.decision is Decision.SUGGESTED:
            self.choices, self.offering_none = reply.suggestions, True
            self.write(t("console.did_you_mean", self.lang, items=_numbered(reply.suggestions)))
        else:
            self.choices, self.offering_none = [], False
            self.forwardable = reply.question_id
            self.write(t("console.not_chinese" if reply.foreign else "console.no_answer",
                         self.lang))


async def stdin_lines() -> AsyncIterator[str]:
    """Typed lines. They are read by a daemon thread: a Ctrl-C at the prompt ends the chat at
    once (a reader in asyncio's pool would keep the process waiting for Enter). A terminal that
    goes away (a closed window: reads fail with EIO) ends the input like Ctrl-D, instead of
    leaving the chat waiting for a line that cannot come."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        try:
            for line in iter(sys.stdin.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError):  # the terminal went away (EIO): the input has ended
            pass
        loop.call_soon_threadsafe(queue.put_nowait, "")

    threading.Thread(target=read, name="stdin", daemon=True).start()
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = await queue.get()
        if not line:
            return
        yield line


async def run_console(services: Services, lang: str, lines: AsyncIterator[str] | None = None,
                      write: Write = print) -> None:
    """The terminal chat until /quit, the end of the input (Ctrl-D) or Ctrl-C, which end it
    as politely as /quit (an unfinished /new is kept for the next run)."""
    first_id = await highest_message_id(services.sessions) + 1
    sender = services.start_sender(ConsoleTransport(write, first_id), CONSOLE_STAFF_CHAT,
                                   background=False)
    chat = ConsoleChat(services, write, lang)
    chat.greet()
    await chat.resume()
    await sender.deliver_due()
    try:
        async for line in lines or stdin_lines():
            try:
                if not await chat.handle(line):
                    return
                await sender.deliver_due()  # print what the core sent, in step with the input
            except Exception:  # noqa: BLE001 - one bad line must not end the chat
                log.exception("terminal chat: handling %r failed", line)
                write(plain_text(t("tg.error", chat.lang)))
    except (KeyboardInterrupt, asyncio.CancelledError) as stop:  # Ctrl-C
        write("")
        await chat.handle("/quit")
        if isinstance(stop, asyncio.CancelledError):  # asyncio.run turns it back into ^C
            raise
        return
    write("")  # the input ended (Ctrl-D): leave the prompt's line first
    await chat.handle("/quit")
