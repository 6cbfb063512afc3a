"""The one factory that builds the Telegram `Application` from settings and services.

Production (polling and webhook), the benchmarks and every test call `build_application`.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from telegram import BotCommand, Update
from telegram.ext import ApplicationBuilder, ApplicationHandlerStop, ContextTypes, TypeHandler

from handlers import register
from handlers.context import AppContext, SMEApplication, identity_of
from handlers.ordering import PerChatUpdateProcessor
from handlers.transport import TelegramTransport
from storage.inbound import InboundStore
from storage.persistence import DatabasePersistence

from .flood import FloodGuard, Verdict
from .gate import admit
from .pacing import Limits, Pacer
from .i18n import t
from .messages import Outgoing
from .services import Services

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
ENTERPRISE_COMMANDS = ("start", "help", "topics", "new", "mytickets", "human", "cancel", "lang",
                       "deleteme")


async def _admit(update: Update, context: AppContext) -> None:
    """Group -1: an update already processed (webhook retry, restart) stops here; otherwise its
    sender's contact is found in the same transaction and kept for the handlers."""
    admission = await admit(context.services.sessions, update.update_id, identity_of(update))
    if not admission.fresh:
        log.info("duplicate update %s ignored", update.update_id)
        raise ApplicationHandlerStop
    context.admitted_contact = admission.contact
    contact = admission.contact
    if contact is not None and update.message is not None:
        verdict = context.services.extras["flood"].check(contact.external_id)
        if verdict is not Verdict.ALLOW:
            log.info("flood protection: %s message from contact %s", verdict.value, contact.id)
            if verdict is Verdict.NOTIFY:
                await context.services.postman.send(contact.chat_id, Outgoing(
                    text=t("tg.flood", contact.language)))
            raise ApplicationHandlerStop


async def _on_error(update: object, context: AppContext) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
        await context.services.postman.send(update.effective_chat.id,
                                            Outgoing(text=t("tg.error", "zh-CN")))


@asynccontextmanager
async def running_application(application: SMEApplication) -> AsyncIterator[SMEApplication]:
    """Initialise and start the application with its outbox sender; stop both on exit."""
    services = application.services
    async with application:
        tg = services.settings.telegram
        services.start_sender(TelegramTransport(application.bot), pacer=Pacer(Limits(
            tg.pace_chat_s, tg.pace_group_per_minute, tg.pace_overall_per_s)))
        commands = [BotCommand(c, t(f"commands.{c}", "zh-CN")) for c in ENTERPRISE_COMMANDS]
        await application.bot.set_my_commands(commands)
        await application.start()
        try:
            yield application
        finally:
            if application.running:
                await application.stop()
            await services.stop_sender()


def build_application(services: Services, webhook: bool = False) -> SMEApplication:
    settings = services.settings
    if settings.telegram.token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    services.extras.setdefault("inbound", InboundStore(services.sessions))
    services.extras.setdefault("flood", FloodGuard(settings.assistant.flood_messages,
                                                   settings.assistant.flood_window_s))
    builder = (
        ApplicationBuilder()
        .application_class(SMEApplication, {"services": services})
        .token(settings.telegram.token.get_secret_value())
        .base_url(settings.telegram.base_url)
        .base_file_url(settings.telegram.base_file_url)
        .persistence(DatabasePersistence(services.sessions))
        .context_types(ContextTypes(context=AppContext))
        .connection_pool_size(16)
        .concurrent_updates(PerChatUpdateProcessor(16))
    )
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    application.add_handler(TypeHandler(Update, _admit), group=-1)
    register(application, settings.staff.chat_id)
    application.add_error_handler(_on_error)
    return application  # type: ignore[return-value]
