"""What no other handler took: a button press is always answered (the user's app shows a
spinner until it is), an unknown command gets a one-line hint."""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.app.staff_commands import COMMANDS
from bot.delivery.outgoing import Outgoing, esc
from bot.foundation.i18n import t

from .telegram_context import AppContext, contact_of


async def unknown_button(update: Update, context: AppContext) -> None:
    """A button whose data no handler knows (an old keyboard, forged or malformed data)."""
    await update.callback_query.answer(t("tg.stale_button", "zh-CN"))


async def unknown_command(update: Update, context: AppContext) -> None:
    message = update.effective_message
    command, _, addressee = message.text.split(maxsplit=1)[0].partition("@")
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # meant for another bot in the group
    if message.chat.type == "private":
        contact = await contact_of(update, context)
        text = t("console.unknown_command", contact.language, command=esc(command))
        chat_id, thread = contact.chat_id, None
    else:  # the staff group: /help is an enterprise command, so the staff's are listed
        text = t("tg.unknown_staff_command", "zh-CN", command=esc(command),
                 commands=" ".join(f"/{name}" for name in COMMANDS))
        chat_id = message.chat_id
        thread = message.message_thread_id if message.is_topic_message else None
    await context.services.postman.send(chat_id, Outgoing(text=text, thread_id=thread), "ack")


def handlers() -> list:
    """Registered after every other handler of the group."""
    return [CallbackQueryHandler(unknown_button),
            MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command)]
