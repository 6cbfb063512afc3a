"""`/subscribe` and `/unsubscribe` in the terminal, over the same core as Telegram: topics
are typed as numbers of the list (or 全部) instead of pressed; the optional industry and
district questions follow."""
from __future__ import annotations

from ..foundation.i18n import t
from ..delivery.outgoing import plain_text
from ..outreach.subscriptions import SKIP, Subscriptions, question, topic_names, typed_choice
from ..requests.ticket_rules import CATEGORIES
from ..requests.ticket_views import category_label
from .console_dialog import Chat


class ProfileQuestions:
    """The industry / district questions (a dialog: a line each, /skip to leave one out,
    /cancel to stop asking)."""

    name = "subscribe"

    def __init__(self, chat: Chat, pending: tuple[str, ...]) -> None:
        self.chat = chat
        self.pending = pending

    def commands(self) -> frozenset[str]:
        return frozenset({SKIP, "/cancel"})

    def prompt(self) -> str:
        return plain_text(question(self.pending[0], self.chat.lang))

    def state(self) -> None:
        return None

    async def handle(self, text: str) -> bool:
        """Consume one line; True when no question is left."""
        if text.split()[:1] == ["/cancel"]:
            self.chat.write(plain_text(t("broadcast.sub.profile_done", self.chat.lang)))
            return True
        if text.split()[:1] == [SKIP]:
            text = SKIP
        contact = await self.chat.contact()
        reply, self.pending = await Subscriptions(self.chat.services.sessions).answer(
            contact.id, self.chat.lang, self.pending, text)
        self.chat.write(plain_text(reply))
        return not self.pending


async def command(chat: Chat, name: str, arg: str) -> ProfileQuestions | None:
    """Run /subscribe or /unsubscribe; the questions that follow a subscription, if any."""
    contact, lang = await chat.contact(), chat.lang
    subscriptions = Subscriptions(chat.services.sessions)
    if name == "/unsubscribe":
        chat.write(plain_text(await subscriptions.unsubscribe(contact.id, lang)))
        return None
    if not arg:
        current = await subscriptions.topics(contact.id)
        items = "\n".join(f"  {i}. {category_label(c, lang)}" for i, c in enumerate(CATEGORIES, 1))
        chat.write(plain_text(t("broadcast.sub.console_pick", lang, items=items, current=(
            topic_names(current, lang) if current else t("broadcast.sub.console_none", lang)))))
        return None
    chosen = typed_choice(arg)
    if chosen is None:
        chat.write(plain_text(t("broadcast.sub.console_usage", lang, max=len(CATEGORIES))))
        return None
    text, missing = await subscriptions.save(contact.id, chosen, lang)
    chat.write(plain_text(text))
    if not missing:
        return None
    questions = ProfileQuestions(chat, missing)
    chat.write(questions.prompt())
    return questions
