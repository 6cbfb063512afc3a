"""The one factory that builds the Telegram `Application` from settings and services.

Production (polling and webhook), the benchmarks and every test call `build_application`.
"""
from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator

from telegram import BotCommand, Update
from telegram.ext import (
    ApplicationBuilder, ApplicationHandlerStop, ContextTypes, ConversationHandler, TypeHandler,
)

from handlers import register
from handlers.telegram_context import AppContext, SMEApplication, identity_of
from handlers.aiohttp_request import AiohttpRequest
from handlers.durable_polling import StoringUpdatesRequest
from handlers.chat_ordering import PerChatUpdateProcessor
from handlers.delivery.telegram_transport import TelegramTransport
from storage.inbound import InboundStore
from storage.models import utcnow
from storage.persistence import DatabasePersistence

from ..delivery.flood_guard import FloodGuard, Verdict
from ..requests.admission import Gate
from ..delivery.pacing import Limits, Pacer
from ..foundation.i18n import t
from ..app.leadership import LeaseStore, Leadership, holder_name
from ..delivery.outgoing import Outgoing
from ..app.services import Services

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
ENTERPRISE_COMMANDS = ("start", "help", "topics", "new", "mytickets", "human", "end", "cancel",
                       "lang", "subscribe", "unsubscribe", "deleteme")


async def _admit(update: Update, context: AppContext) -> None:
    """Group -1: an update already processed (webhook retry, restart) stops here; otherwise its
    sender's contact is found in the same transaction and kept for the handlers."""
    services = context.services
    stale_before = utcnow() - timedelta(seconds=services.settings.telegram.replay_after_s)
    admission = await services.extras["gate"].admit(update.update_id, identity_of(update),
                                                     stale_before)
    if not admission.fresh:
        log.info("duplicate update %s ignored", update.update_id)
        raise ApplicationHandlerStop
    services.extras["inbound"].claimed(update.update_id)
    context.admitted_contact = admission.contact
    persistence = context.application.persistence
    for conversation in context.application.conversations:  # another process may have moved it on
        await persistence.refresh_conversation(conversation, update)
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


async def _replay_stored(application: SMEApplication) -> None:
    """Process webhook updates that were stored but never processed: at once when this process
    starts leading (a crash left them), then those a dead peer left behind for a while."""
    store = application.services.extras["inbound"]
    grace = application.services.settings.telegram.replay_after_s
    received_before = None
    while True:
        for _, payload in await store.unprocessed(received_before):
            await application.update_queue.put(Update.de_json(json.loads(payload),
                                                              application.bot))
        await asyncio.sleep(grace / 3)
        received_before = utcnow() - timedelta(seconds=grace)


def _leadership(application: SMEApplication) -> Leadership:
    """The fleet-wide duties this process takes on while it holds the leader lease."""
    services = application.services
    tg = services.settings.telegram
    transport = TelegramTransport(application.bot)
    pacer = Pacer(Limits(tg.pace_chat_s, tg.pace_group_per_minute, tg.pace_overall_per_s))
    tasks: list[asyncio.Task] = []

    async def lead() -> None:
        services.start_sender(transport, pacer=pacer)
        tasks.append(asyncio.create_task(_replay_stored(application), name="replay-stored"))

    async def follow() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()
        await services.stop_sender()

    return Leadership(LeaseStore(services.sessions, "leader", holder_name()), lead, follow)


@asynccontextmanager
async def running_application(application: SMEApplication) -> AsyncIterator[SMEApplication]:
    """Initialise and start the application; campaign for the fleet's leader duties (outbox
    delivery, replay of stored updates); stop everything on exit."""
    services = application.services
    async with application:
        commands = [BotCommand(c, t(f"commands.{c}", "zh-CN")) for c in ENTERPRISE_COMMANDS]
        await application.bot.set_my_commands(commands)
        await application.start()
        leadership = _leadership(application)
        services.extras["leadership"] = leadership
        leadership.start()
        try:
            yield application
        finally:
            if application.running:
                await application.stop()
            await leadership.close()
            await services.extras["inbound"].drain()


def build_application(services: Services, webhook: bool = False) -> SMEApplication:
    settings = services.settings
    if settings.telegram.token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    inbound = services.extras.setdefault("inbound", InboundStore(services.sessions))
    services.extras.setdefault("gate", Gate(services.sessions))
    processor = PerChatUpdateProcessor(16)
    services.extras.setdefault("flood", FloodGuard(settings.assistant.flood_messages,
                                                   settings.assistant.flood_window_s))
    builder = (
        ApplicationBuilder()
        .application_class(SMEApplication, {"services": services})
        .token(settings.telegram.token.get_secret_value())
        .base_url(settings.telegram.base_url)
        .base_file_url(settings.telegram.base_file_url)
        .persistence(DatabasePersistence(services.sessions, shared=services.shared_database))
        .context_types(ContextTypes(context=AppContext))
        .request(AiohttpRequest(connection_pool_size=16))
        .concurrent_updates(processor)
    )
    if webhook:
        builder = builder.updater(None).get_updates_request(AiohttpRequest())
    else:
        builder = builder.get_updates_request(StoringUpdatesRequest(inbound))
    application = builder.build()
    application.add_handler(TypeHandler(Update, _admit), group=-1)
    register(application, settings.staff.chat_id)

    async def finished(update: Update) -> None:
        """Conversation state and user data are saved before the update counts as processed
        (PTB would save them up to a second later: a crash then would lose an intake step)."""
        await application.update_persistence()
        inbound.processed(update.update_id)

    processor.finished = finished
    application.conversations = [h for group in application.handlers.values() for h in group
                                 if isinstance(h, ConversationHandler) and h.persistent]
    application.add_error_handler(_on_error)
    return application  # type: ignore[return-value]
