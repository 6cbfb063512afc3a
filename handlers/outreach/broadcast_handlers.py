"""The confirm / cancel buttons of a broadcast preview and of its progress message: the same
staff commands as `/broadcast_send N` and `/broadcast_cancel N` (role check and audit
included), answered with a notification on the button."""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.foundation.i18n import t
from bot.foundation.numbers import whole_number
from bot.delivery.outgoing import plain_text
from bot.app.staff_commands import run_command

from ..telegram_context import AppContext
from ..delivery.telegram_html import decode_callback
from ..requests.staff_handlers import LANG, actor_of, refuse_outsider

ALERT_LIMIT = 200  # characters Telegram shows on a button's notification


async def button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    actor = actor_of(update, context)
    if await refuse_outsider(update, context, actor, query.data):
        return
    parts = decode_callback(query.data)
    if len(parts) != 3 or parts[1] not in ("send", "cancel") or whole_number(parts[2]) is None:
        await query.answer(t("tg.stale_button", LANG))
        return
    result = await run_command(context.services, actor, f"broadcast_{parts[1]}", [parts[2]])
    await query.answer(plain_text(result.text)[:ALERT_LIMIT], show_alert=not result.ok)


def handlers() -> list:
    return [CallbackQueryHandler(button, pattern=r"^bc:")]
