"""`/subscribe` and `/unsubscribe` in the terminal, over the same core as Telegram: topics
are typed as numbers of the list (or 全部) instead of pressed; the optional industry and
district questions follow."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from storage.models import Contact

from ..foundation.i18n import t
from ..delivery.outgoing import plain_text
from ..outreach.subscriptions import SKIP, Subscriptions, question, topic_names, typed_choice
from ..requests.ticket_rules import CATEGORIES
from ..requests.ticket_views import category_label
from ..app.services import Services


class ConsoleChat(Protocol):
    """What these commands use of the terminal chat (`console_chat.ConsoleChat`, which calls
    them: typed here by shape, so that the two modules do not import each other)."""

    services: Services
    lang: str
    write: Callable[[str], None]
    intake: Any

    async def contact(self) -> Contact: ...


class ProfileQuestions:
    """The industry / district questions (a line each, /skip to leave one out; any other
    command ends them)."""

    def __init__(self, chat: "ConsoleChat", pending: tuple[str, ...]) -> None:
        self.chat = chat
        self.pending = pending

    async def handle(self, text: str) -> bool:
        """Consume one line; True when no question is left."""
        if text.startswith("/") and text != SKIP:  # /cancel or another command: stop asking
            self.chat.write(plain_text(t("broadcast.sub.profile_done", self.chat.lang)))
            return True
        contact = await self.chat.contact()
        reply, self.pending = await Subscriptions(self.chat.services.sessions).answer(
            contact.id, self.chat.lang, self.pending, text)
        self.chat.write(plain_text(reply))
        return not self.pending


async def command(chat: "ConsoleChat", name: str, arg: str) -> None:
    contact, lang = await chat.contact(), chat.lang
    subscriptions = Subscriptions(chat.services.sessions)
    if name == "/unsubscribe":
        chat.write(plain_text(await subscriptions.unsubscribe(contact.id, lang)))
        return
    if not arg:
        current = await subscriptions.topics(contact.id)
        items = "\n".join(f"  {i}. {category_label(c, lang)}" for i, c in enumerate(CATEGORIES, 1))
        chat.write(plain_text(t("broadcast.sub.console_pick", lang, items=items, current=(
            topic_names(current, lang) if current else t("broadcast.sub.console_none", lang)))))
        return
    chosen = typed_choice(arg)
    if chosen is None:
        chat.write(plain_text(t("broadcast.sub.console_usage", lang, max=len(CATEGORIES))))
        return
    text, missing = await subscriptions.save(contact.id, chosen, lang)
    chat.write(plain_text(text))
    if missing:
        chat.write(plain_text(question(missing[0], lang)))
        chat.intake = ProfileQuestions(chat, missing)
