"""Staff side (the staff group): commands, card buttons and two-way relay.

Every command and button checks the sender's role in the core; refusals are logged.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.requests import audit
from bot.app.command_types import CommandResult
from bot.foundation.i18n import t
from bot.foundation.numbers import whole_number
from bot.delivery.outgoing import STAFF_CHAT, Outgoing, esc
from bot.requests.staff_directory import Actor
from bot.app.platform_commands import dialog_line, outcome_question
from bot.app.staff_commands import COMMANDS, REGISTRY, outcome_text, run_command, ticket_action
from bot.requests.tickets import Content

from ..telegram_context import AppContext
from ..delivery.telegram_html import decode_callback

LANG = "zh-CN"
DIALOG = "staff_dialog"  # user_data: the state of a staff member's guided dialog


def actor_of(update: Update, context: AppContext) -> Actor:
    user = update.effective_user
    name = " ".join(filter(None, [user.first_name, user.last_name])) or user.username or str(user.id)
    return context.services.staff.actor(user.id, name)


async def answer_in_place(update: Update, context: AppContext,
                          reply: str | CommandResult) -> None:
    """Reply where the command was typed (same chat, same forum topic), files after the text."""
    if isinstance(reply, str):
        reply = CommandResult(reply)
    message = update.effective_message
    thread = message.message_thread_id if message.is_topic_message else None
    postman = context.services.postman
    await postman.send(message.chat_id, Outgoing(text=reply.text, buttons=reply.buttons,
                                                 thread_id=thread), "ack")
    for file in reply.files:
        await postman.send(message.chat_id, Outgoing(**{**file.__dict__, "thread_id": thread}),
                           "file")


async def refuse_outsider(update: Update, context: AppContext, actor: Actor, action: str,
                          ticket_id: int | None = None) -> bool:
    """Turn away anyone who is not staff (in the audit log too). A button gets its answer (no
    message); in a group, a person is told once, then left in silence for a while, and
    privately when they have started the bot: the group's budget is for staff notices."""
    if actor.is_staff:
        return False
    services = context.services
    await audit.record(services.sessions, actor, action, "refused", ticket_id)
    if update.callback_query:
        await update.callback_query.answer(t("refuse.forbidden", LANG), show_alert=True)
    elif update.effective_chat.type == "private":
        await answer_in_place(update, context, t("refuse.forbidden", LANG))
    elif services.extras["refusals"].first(str(actor.id)):
        contact = await services.contacts.find("telegram", str(actor.id))
        if contact is not None and contact.unreachable_at is None:
            await services.postman.send(contact.chat_id, Outgoing(
                text=t("refuse.forbidden_private", contact.language)), "ack")
        else:
            await answer_in_place(update, context, t("refuse.forbidden", LANG))
    return True


async def command(update: Update, context: AppContext) -> None:
    """Every staff command: the core checks the role (and logs a refusal), parses, acts and
    phrases the answer."""
    actor = actor_of(update, context)
    head, rest = (update.effective_message.text.split(maxsplit=1) + [""])[:2]
    name = head[1:].split("@")[0].lower()
    if await refuse_outsider(update, context, actor, name):
        return
    result = await run_command(context.services, actor, name, REGISTRY[name].args_of(rest))
    if result.dialog is not None:
        context.user_data[DIALOG] = result.dialog
    else:
        context.user_data.pop(DIALOG, None)  # another command ends a guided dialog
    await answer_in_place(update, context, result)


async def whoami(update: Update, context: AppContext) -> None:
    actor = actor_of(update, context)
    role = t(f"role.{actor.role.name.lower()}", LANG) if actor.role else t("role.none", LANG)
    text = t("staff.whoami", LANG, id=actor.id, name=esc(actor.name), role=role)
    await answer_in_place(update, context, text)


async def card_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    actor = actor_of(update, context)
    parts = decode_callback(query.data)
    target = whole_number(parts[2]) if len(parts) == 3 else None
    if await refuse_outsider(update, context, actor, ":".join(["button", *parts[1:2]]), target):
        return
    action, ticket_id = (parts[1], target) if target is not None else (None, None)
    if action not in ("claim", "resolve", "close", "reopen"):
        await query.answer(t("tg.stale_button", LANG))
        return
    outcome = await ticket_action(context.services, actor, action, ticket_id)
    await audit.record(context.services.sessions, actor, f"button:{action}",
                       "ok" if outcome.ok else "refused", ticket_id)
    await query.answer(outcome_text(outcome, action), show_alert=not outcome.ok)
    if action == "resolve" and outcome.ok:  # resolving asks for the outcome, in its thread
        await context.services.postman.send(STAFF_CHAT, Outgoing(
            text=outcome_question(context.services, outcome.ticket), in_ticket_thread=True),
            "notify", ticket_id)


async def dialog_message(update: Update, context: AppContext) -> None:
    """A line of the staff member's guided dialog (`/record` without arguments)."""
    actor = actor_of(update, context)
    result, state = await dialog_line(context.services, actor, context.user_data[DIALOG],
                                      update.effective_message.text)
    if state is None:
        context.user_data.pop(DIALOG, None)
    else:
        context.user_data[DIALOG] = state
    await answer_in_place(update, context, result)


async def group_message(update: Update, context: AppContext) -> None:
    """A staff message in the group: a reply to a ticket or in its topic is relayed; `//` is
    an internal note; anything else is the staff's own conversation and left alone."""
    message = update.effective_message
    if (DIALOG in context.user_data and message.text and not message.reply_to_message
            and not message.is_topic_message):
        return await dialog_message(update, context)
    tickets = context.services.tickets
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    thread = message.message_thread_id if message.is_topic_message else None
    ticket_id = await tickets.ticket_for_staff_message(str(message.chat_id), reply_to, thread)
    if ticket_id is None:
        return
    actor = actor_of(update, context)
    if await refuse_outsider(update, context, actor, "relay", ticket_id):
        return
    text = message.text or message.caption
    if text and text.startswith("//"):
        outcome = await tickets.note(ticket_id, actor, text[2:].strip())
    else:
        kind = "text" if message.text else "photo" if message.photo else "document" \
            if message.document else "media"
        outcome = await tickets.reply(ticket_id, actor, Content(
            kind, text, None, str(message.chat_id), message.message_id))
    await audit.record(context.services.sessions, actor,
                       "note" if text and text.startswith("//") else "relay",
                       "ok" if outcome.ok else "refused", ticket_id)
    if not outcome.ok:
        await answer_in_place(update, context, outcome_text(outcome, "reply"))


def handlers(staff_chat_id: int | None) -> list:
    found = [
        CommandHandler("whoami", whoami),
        CommandHandler(list(COMMANDS), command),
        CallbackQueryHandler(card_button, pattern=r"^tk:"),
    ]
    if staff_chat_id is not None:
        found.append(MessageHandler(
            filters.Chat(staff_chat_id) & filters.UpdateType.MESSAGE & ~filters.COMMAND
            & ~filters.StatusUpdate.ALL, group_message))
    return found
