"""Enterprise side (private chats): questions, browsing, feedback, requests and human mode."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler, ChatMemberHandler, CommandHandler, MessageHandler, filters,
)

from bot.answering import answer_views
from bot.answering.reply_messages import entry_message, reply_messages
from bot.app.handoff import hand_off
from bot.app.question_forwarding import forward_question
from bot.requests.profiles import profile_reply
from bot.foundation.i18n import language_named, other_language, t
from bot.foundation.numbers import whole_number
from bot.delivery.outgoing import Button, Outgoing, esc
from bot.requests.sla_views import FOLLOWUP_ANSWERS, followup_outcome
from bot.requests.ticket_rules import MAX_FILE_BYTES
from bot.requests.tickets import Content

from ..telegram_context import AppContext, contact_of
from ..delivery.telegram_html import decode_callback
from ..outreach import survey_handlers

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE
PAGE = 8
MENU = {"zh-CN": [["📚 按主题浏览", "📝 提交需求"], ["📋 我的需求", "🙋 转人工"]],
        "en": [["📚 Topics", "📝 New request"], ["📋 My requests", "🙋 Talk to staff"]]}


MENU_LABELS = filters.Text([label for rows in MENU.values() for row in rows for label in row])


def menu_action(text: str) -> str | None:
    for rows in MENU.values():
        for action, label in zip(("topics", "new", "mytickets", "human"),
                                 [label for row in rows for label in row]):
            if text == label:
                return action
    return None


async def send(context: AppContext, chat_id, message: Outgoing) -> None:
    await context.services.postman.send(chat_id, message)


async def start(update: Update, context: AppContext) -> None:
    payload = context.args[0][:64] if context.args else None
    contact = await contact_of(update, context, source=payload)
    lang = contact.language
    await send(context, contact.chat_id, Outgoing(text=t("tg.welcome", lang),
                                                  keyboard=MENU[lang]))


async def help_command(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    await send(context, contact.chat_id, Outgoing(text=t("tg.help", contact.language)))


async def lang_command(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    wanted = (language_named(context.args[0]) if context.args
              else other_language(contact.language))
    if wanted is None:
        await send(context, contact.chat_id, Outgoing(text=t("tg.lang_usage", contact.language)))
        return
    await context.services.contacts.set_language(contact.id, wanted)
    await send(context, contact.chat_id, Outgoing(text=t("tg.lang_set", wanted),
                                                  keyboard=MENU[wanted]))


def topics_page(context: AppContext, lang: str, category_index: int | None, page: int) -> Outgoing:
    assistant = context.services.assistant
    categories = assistant.categories()
    if category_index is None or not 0 <= category_index < len(categories):
        rows = [[Button(c, f"tp:{i}:0")] for i, c in enumerate(categories)]
        return Outgoing(text=t("tg.topics", lang), buttons=rows)
    entries = assistant.entries_in(categories[category_index])
    pages = max(1, -(-len(entries) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = [[Button(e.question, f"kb:{e.id}")] for e in entries[page * PAGE:(page + 1) * PAGE]]
    nav = []
    if page > 0:
        nav.append(Button(t("button.prev", lang), f"tp:{category_index}:{page - 1}"))
    if page < pages - 1:
        nav.append(Button(t("button.next", lang), f"tp:{category_index}:{page + 1}"))
    rows += [nav] if nav else []
    rows.append([Button(t("button.back", lang), "tp:all:0")])
    return Outgoing(text=t("tg.topic_page", lang, category=esc(categories[category_index]),
                           page=page + 1, pages=pages), buttons=rows)


async def topics(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    await send(context, contact.chat_id, topics_page(context, contact.language, None, 0))


async def topics_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    contact = await contact_of(update, context)
    _, category, page = (decode_callback(query.data) + ["", "", ""])[:3]
    index = whole_number(category)
    await query.answer()
    await send(context, contact.chat_id, topics_page(context, contact.language, index,
                                                     whole_number(page) or 0))


async def question(update: Update, context: AppContext) -> None:
    """Any text in a private chat: a menu button, a message for staff, or a question."""
    message = update.effective_message
    text = message.text or ""
    action = menu_action(text)
    if action == "topics":
        return await topics(update, context)
    if action == "mytickets":
        return await my_tickets(update, context)
    if action == "human":
        return await human(update, context)
    if await survey_handlers.typed(update, context):  # a survey waits for this answer
        return
    contact = await contact_of(update, context)
    if contact.human_ticket_id is not None:
        outcome = await context.services.tickets.enterprise_message(
            contact.id, Content("text", text, None, str(message.chat_id), message.message_id))
        if outcome.ok:
            return  # a finished request: the core told the enterprise, the assistant answers
    await answer_question(context, contact, text)


async def answer_question(context: AppContext, contact, text: str) -> None:
    services = context.services
    lang = contact.language
    chat_id = contact.chat_id

    def enqueue_reply(session, question_id, reply) -> None:
        from bot.delivery.outbox import enqueue

        for message in reply_messages(services.assistant, reply, lang, question_id):
            enqueue(session, chat_id, message, "answer")

    reply = await services.assistant.ask(text, channel="telegram", user_ref=contact.external_id,
                                         contact_id=contact.id, lang=lang, then=enqueue_reply)
    if reply.result is None:  # refused input is not logged; answer it directly
        for message in reply_messages(services.assistant, reply, lang, None):
            await send(context, chat_id, message)
    else:
        services.postman.notify()


async def entry_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    contact = await contact_of(update, context)
    entry = context.services.assistant.entry(decode_callback(query.data)[1])
    if entry is None:
        await query.answer(t("tg.entry_gone", contact.language), show_alert=True)
        return
    await query.answer()
    await send(context, contact.chat_id, entry_message(context.services.assistant, entry,
                                                       contact.language, None))


async def feedback_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    contact = await contact_of(update, context)
    parts = decode_callback(query.data)
    question_id = whole_number(parts[1]) if len(parts) == 3 else None
    ok = question_id is not None and await context.services.questions.feedback(
        question_id, contact.external_id, contact.id, parts[2] == "1")
    await query.answer(t("tg.feedback_thanks" if ok else "tg.stale_button", contact.language))
    if ok and parts[2] == "0":
        await send(context, contact.chat_id, answer_views.no_answer(contact.language,
                                                                    int(parts[1])))


async def none_of_these(update: Update, context: AppContext) -> None:
    query = update.callback_query
    contact = await contact_of(update, context)
    await query.answer()
    parts = decode_callback(query.data)
    question_id = whole_number(parts[1]) if len(parts) == 2 else None
    await send(context, contact.chat_id, answer_views.no_answer(contact.language,
                                                                question_id or None))


async def forward_button(update: Update, context: AppContext) -> None:
    """"Pass to staff": the unanswered question becomes a request, its text filled in."""
    query = update.callback_query
    contact = await contact_of(update, context)
    parts = decode_callback(query.data)
    question_id = whole_number(parts[1]) if len(parts) == 2 else None
    ticket = (await forward_question(context.services, contact, question_id)
              if question_id is not None else None)
    await query.answer(None if ticket else t("tg.stale_button", contact.language))


async def human(update: Update, context: AppContext) -> None:
    """Hand off now: a request carrying the recent questions and the bot's candidates."""
    if update.callback_query:
        await update.callback_query.answer()
    contact = await contact_of(update, context)
    if await hand_off(context.services, contact) is None:
        await send(context, contact.chat_id, Outgoing(text=t("tg.already_human",
                                                             contact.language)))


async def end_human(update: Update, context: AppContext) -> None:
    query = update.callback_query
    contact = await contact_of(update, context)
    ended = await context.services.tickets.end_human_mode(contact.id)
    await query.answer(t("tg.human_ended" if ended else "tg.stale_button", contact.language))
    if ended:
        await send(context, contact.chat_id, Outgoing(text=t("tg.human_ended_long",
                                                             contact.language)))


async def end_human_command(update: Update, context: AppContext) -> None:
    """`/end`: back to the assistant (the button under staff replies does the same)."""
    contact = await contact_of(update, context)
    ended = await context.services.tickets.end_human_mode(contact.id)
    await send(context, contact.chat_id, Outgoing(text=t(
        "tg.human_ended_long" if ended else "refuse.not_in_human_mode", contact.language)))


def _command(update: Update) -> str:
    return esc((update.effective_message.text or "").split()[0].split("@")[0])


async def nothing_open(update: Update, context: AppContext) -> None:
    """/cancel or /skip when no dialog takes it."""
    contact = await contact_of(update, context)
    await send(context, contact.chat_id, Outgoing(text=t("tg.nothing_open", contact.language,
                                                         command=_command(update))))


async def unknown_command(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    await send(context, contact.chat_id, Outgoing(text=t("tg.unknown_command", contact.language,
                                                         command=_command(update))))


# What a dialog takes itself (it needs no reminder after them), by the user_data key it keeps.
DIALOGS = {"intake": ("intake.unexpected", {"/new", "/cancel"}),
           "subscribe_pending": ("broadcast.sub.waiting", {"/skip", "/cancel"})}


async def dialog_reminder(update: Update, context: AppContext) -> None:
    """Group 1, after a command or a menu button in a private chat has run: a dialog still
    open (`/new`, the subscription questions) waits for its answer, and says so."""
    text = update.effective_message.text or ""
    action = menu_action(text)
    name = f"/{action}" if action else text.split()[0].split("@")[0].lower()
    for key, (reminder, own) in DIALOGS.items():
        if context.user_data.get(key) and name not in own:
            contact = await contact_of(update, context)
            await send(context, contact.chat_id, Outgoing(text=t(reminder, contact.language)))
            return


async def rate_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    contact = await contact_of(update, context)
    parts = decode_callback(query.data)
    ticket_id, stars = (whole_number(parts[1]), whole_number(parts[2])) if len(parts) == 3 \
        else (None, None)
    if ticket_id is None or stars is None:
        await query.answer(t("tg.stale_button", contact.language))
        return
    outcome = await context.services.tickets.rate(contact.id, ticket_id, stars)
    await query.answer(t("tg.rated" if outcome.ok else f"refuse.{outcome.reason}",
                         contact.language, **outcome.params))


async def reopen_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    contact = await contact_of(update, context)
    parts = decode_callback(query.data)
    ticket_id = whole_number(parts[1]) if len(parts) == 2 else None
    if ticket_id is None:
        await query.answer(t("tg.stale_button", contact.language))
        return
    outcome = await context.services.tickets.reopen_by_enterprise(contact.id, ticket_id)
    await query.answer(t("tg.reopened" if outcome.ok else f"refuse.{outcome.reason}",
                         contact.language, **outcome.params))


async def followup_button(update: Update, context: AppContext) -> None:
    """The answer to a follow-up visit (回访); the core checks that the request is theirs."""
    query = update.callback_query
    contact = await contact_of(update, context)
    parts = decode_callback(query.data)
    ticket_id = whole_number(parts[1]) if len(parts) == 3 else None
    if ticket_id is None or parts[2] not in FOLLOWUP_ANSWERS:
        await query.answer(t("tg.stale_button", contact.language))
        return
    outcome = await context.services.tickets.answer_followup(contact.id, ticket_id,
                                                             FOLLOWUP_ANSWERS[parts[2]])
    await query.answer(followup_outcome(outcome, contact.language), show_alert=not outcome.ok)


async def my_tickets(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    lang = contact.language
    tickets = await context.services.tickets.for_contact(contact.id)
    if not tickets:
        await send(context, contact.chat_id, Outgoing(text=t("tg.no_tickets", lang)))
        return
    views = context.services.tickets.views
    lines = [views.my_ticket_line(tk, lang) for tk in tickets]
    await send(context, contact.chat_id, Outgoing(text=t("tg.my_tickets", lang) + "\n" +
                                                  "\n".join(lines)))


async def profile_command(update: Update, context: AppContext) -> None:
    """`/profile [项目 新内容]`: the enterprise's saved profile, viewed or edited."""
    contact = await contact_of(update, context)
    services = context.services
    text = await profile_reply(services.contacts, contact.id, " ".join(context.args or []),
                               services.settings.intake.industries, contact.language)
    await send(context, contact.chat_id, Outgoing(text=text))


async def media_in_human_mode(update: Update, context: AppContext) -> None:
    """Photos and files: relayed to staff in human mode, otherwise explained."""
    message = update.effective_message
    contact = await contact_of(update, context)
    kind = "photo" if message.photo else "document" if message.document else "video" \
        if message.video else "voice" if message.voice else "other"
    if message.document and (message.document.file_size or 0) > MAX_FILE_BYTES:
        await send(context, contact.chat_id, Outgoing(text=t("tg.file_too_big", contact.language)))
        return
    if contact.human_ticket_id is not None and kind != "other":
        outcome = await context.services.tickets.enterprise_message(contact.id, Content(
            kind, message.caption, None, str(message.chat_id), message.message_id))
        if outcome.ok:
            return
    await send(context, contact.chat_id, Outgoing(text=t("tg.unsupported", contact.language)))


async def unsupported(update: Update, context: AppContext) -> None:
    contact = await contact_of(update, context)
    await send(context, contact.chat_id, Outgoing(text=t("tg.unsupported", contact.language)))


async def membership(update: Update, context: AppContext) -> None:
    """A user blocked or unblocked the bot in their private chat."""
    change = update.my_chat_member
    status = change.new_chat_member.status
    if change.chat.type != "private":  # the bot's rights in a group changed
        log.info("bot membership in chat %s is now %s", change.chat.id, status)
        return
    contact = await contact_of(update, context)
    await context.services.contacts.set_reachable(contact.id, status not in ("kicked", "left"))
    log.info("contact %s: bot membership is now %s", contact.id, status)


def handlers() -> list:
    media = filters.PHOTO | filters.Document.ALL | filters.VIDEO | filters.VOICE
    return [
        CommandHandler("start", start, filters=PRIVATE),
        CommandHandler("help", help_command, filters=PRIVATE),
        CommandHandler("lang", lang_command, filters=PRIVATE),
        CommandHandler("topics", topics, filters=PRIVATE),
        CommandHandler("mytickets", my_tickets, filters=PRIVATE),
        CommandHandler("profile", profile_command, filters=PRIVATE),
        CommandHandler("human", human, filters=PRIVATE),
        CommandHandler("end", end_human_command, filters=PRIVATE),
        CommandHandler(["cancel", "skip"], nothing_open, filters=PRIVATE),
        CommandHandler("deleteme", delete_me, filters=PRIVATE),
        CallbackQueryHandler(delete_me_button, pattern=r"^erase:"),
        ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER, chat_id=None),
        CallbackQueryHandler(topics_button, pattern=r"^tp:"),
        CallbackQueryHandler(entry_button, pattern=r"^kb:"),
        CallbackQueryHandler(feedback_button, pattern=r"^fb:"),
        CallbackQueryHandler(none_of_these, pattern=r"^none:"),
        CallbackQueryHandler(forward_button, pattern=r"^fwd:"),
        CallbackQueryHandler(human, pattern=r"^human$"),
        CallbackQueryHandler(end_human, pattern=r"^human:end$"),
        CallbackQueryHandler(rate_button, pattern=r"^rate:"),
        CallbackQueryHandler(reopen_button, pattern=r"^reopen:"),
        CallbackQueryHandler(followup_button, pattern=r"^fu:"),
        MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE,
                       question),
        MessageHandler(PRIVATE & media & filters.UpdateType.MESSAGE, media_in_human_mode),
        MessageHandler(PRIVATE & filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command),
        MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND, unsupported),
    ]


async def delete_me(update: Update, context: AppContext) -> None:
    """Ask before erasing: the action cannot be undone."""
    contact = await contact_of(update, context)
    lang = contact.language
    await send(context, contact.chat_id, Outgoing(
        text=t("tg.deleteme_confirm", lang),
        buttons=[[Button(t("button.erase", lang), "erase:yes"),
                  Button(t("button.cancel", lang), "erase:no")]]))


async def delete_me_button(update: Update, context: AppContext) -> None:
    from bot.app.privacy import erase_contact

    query = update.callback_query
    contact = await contact_of(update, context)
    lang = contact.language
    await query.answer()
    if query.data != "erase:yes":
        await send(context, contact.chat_id, Outgoing(text=t("tg.deleteme_kept", lang)))
        return
    erased = await erase_contact(context.services.sessions, contact.id)
    context.user_data.clear()
    context.chat_data.clear()
    log.info("personal data erased for contact %s", contact.id)
    await send(context, contact.chat_id, Outgoing(text=t(
        "tg.deleteme_done", lang, profile=t("tg.profile_erased" if erased.profile else "tg.profile_none", lang),
        questions=erased.questions, messages=erased.messages, tickets=erased.tickets)))
