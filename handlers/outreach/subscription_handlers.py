"""Enterprise side of the platform's notices: `/subscribe` (topic toggle buttons, edited in
place), `/unsubscribe` (also the button under every notice) and the optional industry and
district questions, a small persistent conversation. The rules live in `bot.subscriptions`."""
from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters,
)

from bot.foundation.i18n import t
from bot.delivery.outgoing import Button, Outgoing
from bot.outreach.subscriptions import SKIP, Subscriptions, picker, pressed, question

from ..answering.enterprise_handlers import MENU_LABELS
from ..telegram_context import AppContext, contact_of

PRIVATE = filters.ChatType.PRIVATE
ASKING = 0


def _service(context: AppContext) -> Subscriptions:
    return Subscriptions(context.services.sessions)


async def _send(context: AppContext, chat_id: str, message: Outgoing) -> None:
    await context.services.postman.send(chat_id, message)


async def subscribe(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    current = await _service(context).topics(contact.id)
    await _send(context, contact.chat_id, picker(contact.language, current or frozenset()))


async def unsubscribe(update: Update, context: AppContext) -> None:
    if update.callback_query:
        await update.callback_query.answer()
    contact = await contact_of(update, context)
    text = await _service(context).unsubscribe(contact.id, contact.language)
    await _send(context, contact.chat_id, Outgoing(text=text))


async def picker_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    contact = await contact_of(update, context)
    lang, choice = contact.language, pressed(query.data)
    if choice is None:
        await query.answer(t("tg.stale_button", lang))
        return
    action, selected = choice
    if action == "save" and not selected:
        await query.answer(t("broadcast.sub.none_chosen", lang), show_alert=True)
        return
    await query.answer()
    message_id = query.message.message_id
    if action == "toggle":
        await _send(context, contact.chat_id, picker(lang, selected, edit_message_id=message_id))
        return
    text, missing = await _service(context).save(contact.id, selected, lang)
    buttons = [[Button(t("broadcast.sub.give", lang), "sub:profile"),
                Button(t("broadcast.sub.no_thanks", lang), "sub:later")]] if missing else []
    await _send(context, contact.chat_id, Outgoing(text=text, buttons=buttons,
                                                   edit_message_id=message_id))


async def later(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    await update.callback_query.answer(t("broadcast.sub.later", contact.language))


async def begin_profile(update: Update, context: AppContext) -> int:
    await update.callback_query.answer()
    contact = await contact_of(update, context)
    missing = await _service(context).missing(contact.id)
    if not missing:
        await _send(context, contact.chat_id, Outgoing(
            text=t("broadcast.sub.profile_done", contact.language)))
        return ConversationHandler.END
    context.user_data["subscribe_pending"] = list(missing)
    await _send(context, contact.chat_id, Outgoing(text=question(missing[0], contact.language)))
    return ASKING


async def answer(update: Update, context: AppContext) -> int:
    contact = await contact_of(update, context)
    text = update.effective_message.text or ""
    pending = tuple(context.user_data.get("subscribe_pending") or ())
    if not pending:
        return ConversationHandler.END
    reply, rest = await _service(context).answer(
        contact.id, contact.language, pending, SKIP if text.startswith(SKIP) else text)
    await _send(context, contact.chat_id, Outgoing(text=reply))
    if rest:
        context.user_data["subscribe_pending"] = list(rest)
        return ASKING
    context.user_data.pop("subscribe_pending", None)
    return ConversationHandler.END


async def stop_asking(update: Update, context: AppContext) -> int:
    contact = await contact_of(update, context)
    context.user_data.pop("subscribe_pending", None)
    await _send(context, contact.chat_id, Outgoing(
        text=t("broadcast.sub.profile_done", contact.language)))
    return ConversationHandler.END


def handlers() -> list:
    asking = ConversationHandler(
        name="subscribe_profile", persistent=True, allow_reentry=True,
        entry_points=[CallbackQueryHandler(begin_profile, pattern=r"^sub:profile$")],
        states={ASKING: [MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND
                                        & ~MENU_LABELS, answer),
                         CommandHandler("skip", answer, filters=PRIVATE)]},
        fallbacks=[CommandHandler("cancel", stop_asking, filters=PRIVATE)])
    return [
        asking,
        CommandHandler("subscribe", subscribe, filters=PRIVATE),
        CommandHandler("unsubscribe", unsubscribe, filters=PRIVATE),
        CallbackQueryHandler(unsubscribe, pattern=r"^sub:off$"),
        CallbackQueryHandler(later, pattern=r"^sub:later$"),
        CallbackQueryHandler(picker_button, pattern=r"^sub:(t|all|ok):"),
    ]
