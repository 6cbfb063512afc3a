"""The application class and callback context that give handlers typed access to services."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services


class SMEApplication(Application):
    """A PTB `Application` that carries the assistant's services (no module-level globals)."""

    def __init__(self, services: Services, **kwargs) -> None:
        super().__init__(**kwargs)
        self.services = services


class AppContext(CallbackContext[ExtBot, dict, dict, dict]):
    @property
    def services(self) -> Services:
        return self.application.services  # type: ignore[attr-defined]


async def contact_of(update: Update, context: AppContext, source: str | None = None):
    """The sender as a contact; its language is taken from the client on first contact."""
    from bot.i18n import pick_lang

    user = update.effective_user
    chat = update.effective_chat
    name = " ".join(filter(None, [user.first_name, user.last_name])) or user.username or ""
    return await context.services.contacts.ensure(
        "telegram", str(user.id), str(chat.id if chat else user.id), name,
        pick_lang(user.language_code), source)
