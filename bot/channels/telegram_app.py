"""The one factory that builds the Telegram `Application` from settings and services.

Production (polling and webhook), the benchmarks and every test call `build_application`.
"""
from __future__ import annotations

import asyncio
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
from handlers.update_parsing import is_placeholder, parse_stored
from handlers.chat_ordering import PerChatUpdateProcessor
from handlers.delivery.telegram_transport import TelegramTransport
from storage.inbound import InboundStore
from storage.models import utcnow
from storage.persistence import DatabasePersistence

from ..delivery.flood_guard import FloodGuard, Verdict
from ..requests.admission import Gate
from ..requests.refusals import RefusalLimiter
from ..delivery.pacing import Limits, Pacer
from ..foundation.i18n import t
from ..app.leadership import LeaseStore, Leadership, holder_name
from ..delivery.outgoing import Outgoing
from ..app.services import Services

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
ENTERPRISE_COMMANDS = ("start", "help", "topics", "new", "mytickets", "profile", "human", "end",
                       "cancel", "lang", "subscribe", "unsubscribe", "deleteme")


async def _admit(update: Update, context: AppContext) -> None:
    """Group -1: an update already processed (webhook retry, restart) stops here; otherwise its
    sender's contact is found in the same transaction and kept for the handlers. An edited
    message stops here too: it is not a new command or answer (the sender is told)."""
    if is_placeholder(update):  # it could not be parsed: recorded as failed already
        raise ApplicationHandlerStop
    services = context.services
    stale_before = services.extras["inbound"].stale_before(
        services.settings.telegram.replay_after_s)
    admission = await services.extras["gate"].admit(update.update_id, identity_of(update),
                                                     stale_before)
    if not admission.fresh:
        log.info("duplicate update %s ignored", update.update_id)
        raise ApplicationHandlerStop
    services.extras["inbound"].claimed(update.update_id)
    chat = update.effective_chat
    if update.message is not None and chat is not None and chat.type == "private":
        services.answer_clock.received(str(chat.id))  # sme_answer_latency_seconds
    context.admitted_contact = admission.contact
    persistence = context.application.persistence
    for conversation in context.application.conversations:  # another process may have moved it on
        await persistence.refresh_conversation(conversation, update)
    contact = admission.contact
    if update.edited_message is not None:
        await _edited(update, context)
        raise ApplicationHandlerStop
    if contact is not None and update.message is not None:
        verdict = context.services.extras["flood"].check(contact.external_id)
        if verdict is not Verdict.ALLOW:
            log.info("flood protection: %s message from contact %s", verdict.value, contact.id)
            if verdict is Verdict.NOTIFY:
                await context.services.postman.send(contact.chat_id, Outgoing(
                    text=t("tg.flood", contact.language)))
            raise ApplicationHandlerStop


async def _edited(update: Update, context: AppContext) -> None:
    """Edits are not applied: a command is not run again, an intake step not answered again.
    The sender is told in a private chat, and in a group when the edit was a command."""
    message = update.edited_message
    contact = context.admitted_contact
    if contact is not None:
        await context.services.postman.send(contact.chat_id, Outgoing(
            text=t("tg.edited", contact.language)))
    elif (message.text or "").startswith("/"):
        thread = message.message_thread_id if message.is_topic_message else None
        await context.services.postman.send(message.chat_id, Outgoing(
            text=t("tg.edited", "zh-CN"), thread_id=thread))


async def _on_error(update: object, context: AppContext) -> None:
    """A handler raised: the update is recorded as failed (retried later, a bounded number of
    times), a pending button press is answered and the chat it came from told (a private chat,
    or a group in the message's topic), so nobody waits for a reply that will not come."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    await context.services.extras["inbound"].failed(
        update.update_id, f"{type(context.error).__name__}: {context.error}")
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(t("tg.error_short", "zh-CN"))
        except Exception:  # noqa: BLE001 - answered already, or too old
            log.debug("callback query %s not answered", update.callback_query.id)
    if update.effective_chat:
        message = update.effective_message
        thread = message.message_thread_id if message and message.is_topic_message else None
        await context.services.postman.send(update.effective_chat.id, Outgoing(
            text=t("tg.error", "zh-CN"), thread_id=thread))


async def _replay_stored(application: SMEApplication) -> None:
    """Process webhook updates that were stored but never processed: at once when this process
    starts leading (a crash left them), then those a dead peer left behind for a while."""
    store = application.services.extras["inbound"]
    grace = application.services.settings.telegram.replay_after_s
    received_before = None
    while True:
        try:
            await _replay_once(application, store, received_before)
        except Exception:  # noqa: BLE001 - the loop outlives any failure; tried again soon
            log.exception("replay of stored updates failed; trying again in %.0fs", grace / 3)
        await asyncio.sleep(grace / 3)
        received_before = utcnow() - timedelta(seconds=grace)


async def _replay_once(application: SMEApplication, store: InboundStore,
                       received_before) -> None:
    """Queue every stored, unprocessed, not parked update; one that cannot be parsed is
    recorded as failed and skipped, the others go on."""
    for update_id, payload in await store.unprocessed(received_before):
        update = await parse_stored(store, application.bot, update_id, payload)
        if update is not None:
            store.counts["replayed"] += 1
            await application.update_queue.put(update)


async def resume_as_poller(application: SMEApplication) -> None:
    """Before polling starts: this process is now the only consumer of updates, so what an
    earlier process stored but did not finish is queued at once, ahead of anything new, and
    each chat's messages stay in order (an intake step is not overtaken by the next one)."""
    store = application.services.extras["inbound"]
    store.sole_consumer_since = utcnow()
    await _replay_once(application, store, None)


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
    inbound = services.extras.setdefault("inbound", InboundStore(
        services.sessions, settings.telegram.max_update_attempts))
    services.extras.setdefault("gate", Gate(services.sessions))
    processor = PerChatUpdateProcessor(16)
    services.extras.setdefault("flood", FloodGuard(settings.assistant.flood_messages,
                                                   settings.assistant.flood_window_s))
    services.extras.setdefault("refusals", RefusalLimiter())
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
