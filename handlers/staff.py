"""Staff side (the staff group): commands, card buttons and two-way relay.

Every command and button checks the sender's role in the core; refusals are logged.
"""
from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import t
from bot.messages import Outgoing, esc
from bot.staff import Actor
from bot.ticket_views import category_label, status_label
from bot.tickets import Content, Outcome

from .context import AppContext
from .render import decode_callback

log = logging.getLogger(__name__)
LANG = "zh-CN"
COMMANDS = ("queue", "mine", "ticket", "take", "assign", "reply", "note", "resolve", "reopen",
            "close", "transfer", "priority", "reload")


def actor_of(update: Update, context: AppContext) -> Actor:
    user = update.effective_user
    name = " ".join(filter(None, [user.first_name, user.last_name])) or user.username or str(user.id)
    return context.services.staff.actor(user.id, name)


async def answer_in_place(update: Update, context: AppContext, text: str) -> None:
    """Reply where the command was typed (same chat, same forum topic)."""
    message = update.effective_message
    thread = message.message_thread_id if message.is_topic_message else None
    await context.services.postman.send(message.chat_id, Outgoing(text=text, thread_id=thread),
                                        "ack")


def outcome_text(outcome: Outcome, done_key: str) -> str:
    if outcome.ok:
        return t(done_key, LANG, **outcome.params)
    return t(f"refuse.{outcome.reason}", LANG, **outcome.params)


async def refuse_outsider(update: Update, context: AppContext, actor: Actor, what: str) -> bool:
    if actor.is_staff:
        return False
    log.warning("refused %s from non-staff user %s in chat %s", what, actor.id,
                update.effective_chat.id if update.effective_chat else "?")
    if update.callback_query:
        await update.callback_query.answer(t("refuse.forbidden", LANG), show_alert=True)
    else:
        await answer_in_place(update, context, t("refuse.forbidden", LANG))
    return True


def ticket_arg(context: AppContext) -> int | None:
    if context.args and context.args[0].lstrip("#").isdigit():
        return int(context.args[0].lstrip("#"))
    return None


async def command(update: Update, context: AppContext) -> None:
    """One entry point for every staff command: role check, parse, act, answer."""
    actor = actor_of(update, context)
    name = update.effective_message.text.split()[0][1:].split("@")[0].lower()
    if await refuse_outsider(update, context, actor, f"/{name}"):
        return
    tickets = context.services.tickets
    if name == "queue":
        return await answer_in_place(update, context, await listing(await tickets.queue(),
                                                                    "staff.queue"))
    if name == "mine":
        return await answer_in_place(update, context, await listing(await tickets.mine(actor),
                                                                    "staff.mine"))
    if name == "reload":
        return await reload(update, context, actor)
    ticket_id = ticket_arg(context)
    rest = " ".join(context.args[1:]) if context.args else ""
    if ticket_id is None:
        return await answer_in_place(update, context, t(f"usage.{name}", LANG))
    if name == "ticket":
        return await answer_in_place(update, context, await details(context, ticket_id))
    actions = {
        "take": (lambda: tickets.claim(ticket_id, actor), "done.claimed"),
        "assign": (lambda: tickets.assign(ticket_id, actor, rest.strip().lstrip("@")),
                   "done.assigned"),
        "reply": (lambda: tickets.reply(ticket_id, actor, Content("text", rest)), "done.replied"),
        "note": (lambda: tickets.note(ticket_id, actor, rest), "done.noted"),
        "resolve": (lambda: tickets.resolve(ticket_id, actor, rest), "done.resolved"),
        "reopen": (lambda: tickets.reopen(ticket_id, actor), "done.reopened"),
        "close": (lambda: tickets.close(ticket_id, actor), "done.closed"),
        "transfer": (lambda: tickets.transfer(ticket_id, actor, rest), "done.transferred"),
        "priority": (lambda: tickets.set_priority(ticket_id, actor, rest.strip()),
                     "done.priority"),
    }
    needs_text = {"assign", "reply", "note", "transfer", "priority"}
    if name in needs_text and not rest.strip():
        return await answer_in_place(update, context, t(f"usage.{name}", LANG))
    run, done = actions[name]
    outcome = await run()
    log.info("staff %s: /%s #%s → %s", actor.id, name, ticket_id, outcome.reason or "ok")
    await answer_in_place(update, context, outcome_text(outcome, done))


async def listing(tickets, key: str) -> str:
    if not tickets:
        return t(f"{key}_empty", LANG)
    lines = [t("staff.line", LANG, id=tk.id, category=category_label(tk.category, LANG),
               status=status_label(tk.status, LANG), owner=esc(tk.assignee_name or "—"),
               priority=t(f"priority.{tk.priority}", LANG), text=esc(tk.description[:30]))
             for tk in tickets]
    return t(key, LANG, count=len(tickets)) + "\n" + "\n".join(lines)


async def details(context: AppContext, ticket_id: int) -> str:
    found = await context.services.tickets.get(ticket_id)
    if found is None:
        return t("refuse.no_ticket", LANG, id=ticket_id)
    ticket, contact, profile, events, messages = found
    delivery = await context.services.tickets.delivery(ticket_id)
    lines = [context.services.tickets.views.card(ticket, contact, profile).text or "",
             t("staff.history", LANG)]
    for event in events[-15:]:
        lines.append(t("staff.event", LANG, at=event.at.strftime("%m-%d %H:%M"),
                       who=esc(event.actor_name or event.actor_kind), action=event.action,
                       status=status_label(event.to_status or "", LANG)
                       if event.to_status else ""))
    lines.append(t("staff.messages", LANG, count=len(messages)))
    lines.append(t("staff.delivery", LANG, **delivery))
    return "\n".join(lines)


async def reload(update: Update, context: AppContext, actor: Actor) -> None:
    if not context.services.staff.may(actor, "reload"):
        log.warning("refused /reload from %s", actor.id)
        return await answer_in_place(update, context, t("refuse.forbidden", LANG))
    result = await asyncio.to_thread(context.services.knowledge.reload)
    log.info("knowledge reload by %s: ok=%s entries=%s", actor.id, result.ok, result.entries)
    if result.ok:
        text = t("staff.reloaded", LANG, entries=result.entries)
    else:
        problems = "\n".join(esc(str(p)) for p in result.problems[:10])
        text = t("staff.reload_failed", LANG, entries=result.entries, problems=problems)
    await answer_in_place(update, context, text)


async def whoami(update: Update, context: AppContext) -> None:
    actor = actor_of(update, context)
    role = t(f"role.{actor.role.name.lower()}", LANG) if actor.role else t("role.none", LANG)
    text = t("staff.whoami", LANG, id=actor.id, name=esc(actor.name), role=role)
    await answer_in_place(update, context, text)


async def card_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    actor = actor_of(update, context)
    if await refuse_outsider(update, context, actor, query.data):
        return
    parts = decode_callback(query.data)
    if len(parts) != 3 or not parts[2].isdigit():
        await query.answer(t("tg.stale_button", LANG))
        return
    action, ticket_id = parts[1], int(parts[2])
    tickets = context.services.tickets
    known = {"claim": (lambda: tickets.claim(ticket_id, actor), "done.claimed"),
             "resolve": (lambda: tickets.resolve(ticket_id, actor, ""), "done.resolved"),
             "close": (lambda: tickets.close(ticket_id, actor), "done.closed"),
             "reopen": (lambda: tickets.reopen(ticket_id, actor), "done.reopened")}
    if action not in known:
        await query.answer(t("tg.stale_button", LANG))
        return
    run, done = known[action]
    outcome = await run()
    log.info("staff %s: button %s #%s → %s", actor.id, action, ticket_id, outcome.reason or "ok")
    await query.answer(outcome_text(outcome, done), show_alert=not outcome.ok)


async def group_message(update: Update, context: AppContext) -> None:
    """A staff message in the group: a reply to a ticket or in its topic is relayed; `//` is
    an internal note; anything else is the staff's own conversation and left alone."""
    message = update.effective_message
    tickets = context.services.tickets
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    thread = message.message_thread_id if message.is_topic_message else None
    ticket_id = await tickets.ticket_for_staff_message(str(message.chat_id), reply_to, thread)
    if ticket_id is None:
        return
    actor = actor_of(update, context)
    if await refuse_outsider(update, context, actor, "relay"):
        return
    text = message.text or message.caption
    if text and text.startswith("//"):
        outcome = await tickets.note(ticket_id, actor, text[2:].strip())
    else:
        kind = "text" if message.text else "photo" if message.photo else "document" \
            if message.document else "media"
        outcome = await tickets.reply(ticket_id, actor, Content(
            kind, text, None, str(message.chat_id), message.message_id))
    if not outcome.ok:
        await answer_in_place(update, context, outcome_text(outcome, "done.replied"))


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
