"""Enterprise side of service events: the Sign up / Cancel buttons under an invitation and
`/myevents`. The rules live in `bot.outreach.events`."""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.app.event_commands import events
from bot.delivery.outgoing import Outgoing
from bot.outreach.events import mine_text, pressed, signup_text

from ..telegram_context import AppContext, contact_of, pressed_by


async def button(update: Update, context: AppContext) -> None:
    if (pressing := await pressed_by(update, context, pressed)) is None:
        return
    contact, (action, event_id) = pressing
    service = events(context.services)
    result = await (service.sign_up if action == "join" else service.leave)(contact.id, event_id)
    text = signup_text(result, context.services.calendar.tz, contact.language)
    await update.callback_query.answer()
    await context.services.postman.send(contact.chat_id, Outgoing(text=text))


async def mine(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    rows = await events(context.services).for_contact(contact.id)
    await context.services.postman.send(contact.chat_id, Outgoing(
        text=mine_text(rows, context.services.calendar.tz, contact.language)))


def handlers() -> list:
    return [CallbackQueryHandler(button, pattern=r"^ev:"),
            CommandHandler("myevents", mine, filters=filters.ChatType.PRIVATE)]
