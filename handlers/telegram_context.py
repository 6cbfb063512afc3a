"""The application class and callback context that give handlers typed access to services."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.requests.contacts import Identity
from bot.foundation.i18n import pick_lang, t
from bot.app.services import Services

T = TypeVar("T")


class SMEApplication(Application):
    """A PTB `Application` that carries the assistant's services (no module-level globals)."""

    def __init__(self, services: Services, **kwargs) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.conversations: list = []  # persistent ConversationHandlers, refreshed per update


class AppContext(CallbackContext[ExtBot, dict, dict, dict]):
    """The callback context; one per update, shared by all handler groups."""

    admitted_contact = None  # set by the admission handler (group -1) for private chats

    @property
    def services(self) -> Services:
        return self.application.services  # type: ignore[attr-defined]


def identity_of(update: Update) -> Identity | None:
    """Who sent a private-chat update, as the core knows contacts."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != "private":
        return None
    name = " ".join(filter(None, [user.first_name, user.last_name])) or user.username or ""
    return Identity("telegram", str(user.id), str(chat.id), name, pick_lang(user.language_code))


async def contact_of(update: Update, context: AppContext, source: str | None = None):
    """The sender as a contact (found at admission); its language is taken from the client on
    first contact."""
    if context.admitted_contact is not None and source is None:
        return context.admitted_contact
    who = identity_of(update) or Identity(
        "telegram", str(update.effective_user.id), str(update.effective_user.id),
        update.effective_user.first_name, pick_lang(update.effective_user.language_code))
    return await context.services.contacts.ensure(who.channel, who.external_id, who.chat_id,
                                                  who.display_name, who.language, source)


async def pressed_by(update: Update, context: AppContext, parse: Callable[[str], T | None]
                     ) -> tuple[Any, T] | None:
    """The contact pressing a button and what `parse` reads from its data; a stale or forged
    button is answered as such and gives None."""
    contact = await contact_of(update, context)
    choice = parse(update.callback_query.data)
    if choice is None:
        await update.callback_query.answer(t("tg.stale_button", contact.language))
        return None
    return contact, choice
