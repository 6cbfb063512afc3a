"""`/new`: the guided intake of an enterprise request (a persistent conversation).

category → description (text, photos, files; an album is one request) → enterprise profile if
unknown (company, credit code, contact name, phone, industry from the configured list or
skipped) → consent → confirmation (where the category can still be changed) → ticket.
"""
from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters,
)

from bot.requests.contacts import ProfileInput
from bot.requests.profiles import industry_choice
from bot.foundation.i18n import t
from bot.delivery.outgoing import Button, Outgoing, esc
from bot.requests.ticket_views import category_label
from bot.requests.ticket_rules import CATEGORIES, MAX_ATTACHMENTS, MAX_DESCRIPTION, MAX_FILE_BYTES
from bot.requests.tickets import Content
from bot.requests.validators import (
    ValidationError, validate_company_name, validate_credit_code, validate_person_name,
    validate_phone,
)

from ..telegram_context import AppContext, contact_of
from ..answering.enterprise_handlers import MENU, MENU_LABELS

(CATEGORY, DESCRIPTION, COMPANY, CREDIT_CODE, CONTACT_NAME, PHONE, CONSENT,
 CONFIRM, INDUSTRY) = range(9)  # new states at the end: persisted conversations keep theirs
PRIVATE = filters.ChatType.PRIVATE


async def say(context: AppContext, contact, key: str, buttons=None, **params) -> None:
    await context.services.postman.send(contact.chat_id, Outgoing(
        text=t(key, contact.language, **params), buttons=buttons or []))


def cancel_row(lang: str) -> list[Button]:
    return [Button(t("button.cancel", lang), "intake:cancel")]


async def begin(update: Update, context: AppContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    contact = await contact_of(update, context)
    old = context.user_data.get("intake") or {}
    if old.get("category") or old.get("text") or old.get("files"):
        await say(context, contact, "intake.restarted")
    context.user_data["intake"] = {"text": [], "files": []}
    await say(context, contact, "intake.category", category_rows(contact.language, "cat"))
    return CATEGORY


def category_rows(lang: str, prefix: str) -> list[list[Button]]:
    """The category buttons: `cat:` while filing, `recat:` when changed at the confirmation."""
    labels = [Button(category_label(c, lang), f"{prefix}:{c}") for c in CATEGORIES]
    return [labels[i:i + 3] for i in range(0, len(labels), 3)] + [cancel_row(lang)]


async def chose_category(update: Update, context: AppContext) -> int:
    query = update.callback_query
    contact = await contact_of(update, context)
    category = query.data.split(":", 1)[1]
    if category not in CATEGORIES:
        await query.answer(t("tg.stale_button", contact.language))
        return CATEGORY
    await query.answer()
    context.user_data.setdefault("intake", {"text": [], "files": []})["category"] = category
    await say(context, contact, "intake.describe",
              [[Button(t("button.done", contact.language), "intake:done")],
               cancel_row(contact.language)], category=category_label(category, contact.language))
    return DESCRIPTION


async def category_expected(update: Update, context: AppContext) -> int:
    contact = await contact_of(update, context)
    await say(context, contact, "intake.pick_category")
    return CATEGORY


async def describe(update: Update, context: AppContext) -> int:
    message = update.effective_message
    contact = await contact_of(update, context)
    draft = context.user_data.setdefault("intake", {"text": [], "files": []})
    if message.text:
        if sum(map(len, draft["text"])) + len(message.text) > MAX_DESCRIPTION:
            await say(context, contact, "intake.too_long", max=MAX_DESCRIPTION)
            return DESCRIPTION
        draft["text"].append(message.text)
    else:
        media = message.photo[-1] if message.photo else message.document or message.video
        if media is None:
            await say(context, contact, "intake.unsupported_media")
            return DESCRIPTION
        if (getattr(media, "file_size", 0) or 0) > MAX_FILE_BYTES:
            await say(context, contact, "tg.file_too_big")
            return DESCRIPTION
        if len(draft["files"]) >= MAX_ATTACHMENTS:
            await say(context, contact, "intake.too_many_files", max=MAX_ATTACHMENTS)
            return DESCRIPTION
        kind = "photo" if message.photo else "document" if message.document else "video"
        draft["files"].append({"kind": kind, "file_id": media.file_id,
                               "chat_id": str(message.chat_id), "message_id": message.message_id,
                               "caption": message.caption})
        if message.caption:
            draft["text"].append(message.caption)
        # An album arrives as several messages: acknowledge it once.
        group = message.media_group_id
        if group and draft.get("last_group") == group:
            return DESCRIPTION
        draft["last_group"] = group
    await say(context, contact, "intake.more",
              [[Button(t("button.done", contact.language), "intake:done")],
               cancel_row(contact.language)])
    return DESCRIPTION


async def described(update: Update, context: AppContext) -> int:
    query = update.callback_query
    await query.answer()
    contact = await contact_of(update, context)
    draft = context.user_data.get("intake") or {}
    if not draft.get("text") and not draft.get("files"):
        await say(context, contact, "intake.describe_first")
        return DESCRIPTION
    profile = await context.services.contacts.profile(contact.id)
    if profile and profile.consent_at and profile.company_name:
        return await confirm_prompt(context, contact)
    await say(context, contact, "intake.company", [cancel_row(contact.language)])
    return COMPANY


def _field(validator, key: str, state: int, next_state: int, prompt: str | None):
    """A profile step: validate, re-ask with the reason, or store and ask the next one."""
    async def handler(update: Update, context: AppContext) -> int:
        contact = await contact_of(update, context)
        try:
            value = validator(update.effective_message.text or "")
        except ValidationError as exc:
            await say(context, contact, f"intake.err.{exc.reason}")
            return state
        context.user_data.setdefault("intake", {"text": [], "files": []})[key] = value
        if prompt is None:
            await ask_industry(context, contact)
        else:
            await say(context, contact, prompt, [cancel_row(contact.language)])
        return next_state

    return handler


async def ask_industry(context: AppContext, contact) -> None:
    lang = contact.language
    labels = [Button(name, f"ind:{i}") for i, name in
              enumerate(context.services.settings.intake.industries, 1)]
    rows = [labels[i:i + 3] for i in range(0, len(labels), 3)]
    rows.append([Button(t("button.skip", lang), "ind:0")] + cancel_row(lang))
    await say(context, contact, "intake.industry", rows)


async def chose_industry(update: Update, context: AppContext) -> int:
    """所属行业 from the configured list, or skipped; then the consent question."""
    query = update.callback_query
    contact = await contact_of(update, context)
    try:
        industry = industry_choice(query.data.split(":", 1)[1],
                                   context.services.settings.intake.industries)
    except ValidationError:
        await query.answer(t("tg.stale_button", contact.language))
        return INDUSTRY
    await query.answer()
    context.user_data.setdefault("intake", {"text": [], "files": []})["industry"] = industry
    rows = [[Button(t("button.consent_yes", contact.language), "consent:yes"),
             Button(t("button.consent_no", contact.language), "consent:no")]]
    await say(context, contact, "intake.consent", rows)
    return CONSENT


async def industry_expected(update: Update, context: AppContext) -> int:
    await ask_industry(context, await contact_of(update, context))
    return INDUSTRY


async def consent(update: Update, context: AppContext) -> int:
    query = update.callback_query
    await query.answer()
    contact = await contact_of(update, context)
    if query.data != "consent:yes":
        context.user_data.pop("intake", None)
        await say(context, contact, "intake.no_consent")
        return ConversationHandler.END
    context.user_data["intake"]["consent"] = True
    return await confirm_prompt(context, contact)


async def confirm_prompt(context: AppContext, contact) -> int:
    draft = context.user_data["intake"]
    lang = contact.language
    profile = await context.services.contacts.profile(contact.id)
    company = draft.get("company") or (profile.company_name if profile else "")
    await say(context, contact, "intake.confirm",
              [[Button(t("button.confirm", lang), "intake:confirm")],
               [Button(t("button.change_category", lang), "intake:category")], cancel_row(lang)],
              category=category_label(draft.get("category", "other"), lang),
              text=esc("\n".join(draft.get("text", []))[:1000]) or "—",
              files=len(draft.get("files", [])), company=esc(company))
    return CONFIRM


async def change_category(update: Update, context: AppContext) -> int:
    """At the confirmation: pick the category again, everything else is kept."""
    await update.callback_query.answer()
    contact = await contact_of(update, context)
    await say(context, contact, "intake.change_category", category_rows(contact.language, "recat"))
    return CONFIRM


async def rechose_category(update: Update, context: AppContext) -> int:
    query = update.callback_query
    contact = await contact_of(update, context)
    category = query.data.split(":", 1)[1]
    draft = context.user_data.get("intake")
    if category not in CATEGORIES or not draft:
        await query.answer(t("tg.stale_button", contact.language))
        return CONFIRM
    await query.answer()
    draft["category"] = category
    return await confirm_prompt(context, contact)


async def submit(update: Update, context: AppContext) -> int:
    query = update.callback_query
    await query.answer()
    contact = await contact_of(update, context)
    draft = context.user_data.pop("intake", None)
    if not draft:
        await say(context, contact, "tg.stale_button")
        return ConversationHandler.END
    services = context.services
    if draft.get("consent"):
        await services.contacts.save_profile(contact.id, ProfileInput(
            draft["company"], draft["credit_code"], draft["contact_name"], draft["phone"],
            draft.get("industry")))
    files = [Content(f["kind"], f.get("caption"), f["file_id"], f["chat_id"], f["message_id"])
             for f in draft.get("files", [])]
    description = "\n".join(draft.get("text", [])) or t("intake.files_only", "zh-CN")
    await services.tickets.create(contact.id, draft.get("category", "other"), description, files)
    return ConversationHandler.END


async def cancel(update: Update, context: AppContext) -> int:
    if update.callback_query:
        await update.callback_query.answer()
    contact = await contact_of(update, context)
    context.user_data.pop("intake", None)
    await context.services.postman.send(contact.chat_id, Outgoing(
        text=t("intake.cancelled", contact.language), keyboard=MENU[contact.language]))
    return ConversationHandler.END


async def unexpected(update: Update, context: AppContext) -> None:
    """Anything else during intake (stickers, voice, a button of an old step) is explained."""
    if update.callback_query:
        await update.callback_query.answer()
    contact = await contact_of(update, context)
    await say(context, contact, "intake.unexpected")


def conversation() -> ConversationHandler:
    """Commands and the menu keyboard's buttons are never an answer: they run (the dialog
    waits, and `dialog_reminder` says so) — only /cancel and /new belong to it."""
    text = PRIVATE & filters.TEXT & ~filters.COMMAND & ~MENU_LABELS
    media = PRIVATE & (filters.PHOTO | filters.Document.ALL | filters.VIDEO)
    menu_new = filters.Text([rows[0][1] for rows in MENU.values()])
    return ConversationHandler(
        name="intake", persistent=True, allow_reentry=True,
        entry_points=[CommandHandler("new", begin, filters=PRIVATE),
                      CallbackQueryHandler(begin, pattern=r"^new$"),
                      MessageHandler(PRIVATE & menu_new, begin)],
        states={
            CATEGORY: [CallbackQueryHandler(chose_category, pattern=r"^cat:"),
                       MessageHandler(text, category_expected)],
            DESCRIPTION: [MessageHandler(text | media, describe),
                          CallbackQueryHandler(described, pattern=r"^intake:done$")],
            COMPANY: [MessageHandler(text, _field(validate_company_name, "company", COMPANY, CREDIT_CODE,
                                                  "intake.credit_code"))],
            CREDIT_CODE: [MessageHandler(text, _field(validate_credit_code, "credit_code",
                                                      CREDIT_CODE, CONTACT_NAME, "intake.contact_name"))],
            CONTACT_NAME: [MessageHandler(text, _field(validate_person_name, "contact_name",
                                                       CONTACT_NAME, PHONE, "intake.phone"))],
            PHONE: [MessageHandler(text, _field(validate_phone, "phone", PHONE, INDUSTRY, None))],
            INDUSTRY: [CallbackQueryHandler(chose_industry, pattern=r"^ind:"),
                       MessageHandler(text, industry_expected)],
            CONSENT: [CallbackQueryHandler(consent, pattern=r"^consent:")],
            CONFIRM: [CallbackQueryHandler(submit, pattern=r"^intake:confirm$"),
                      CallbackQueryHandler(change_category, pattern=r"^intake:category$"),
                      CallbackQueryHandler(rechose_category, pattern=r"^recat:")],
        },
        fallbacks=[CommandHandler("cancel", cancel),
                   CallbackQueryHandler(cancel, pattern=r"^intake:cancel$"),
                   MessageHandler(PRIVATE & ~filters.COMMAND & ~MENU_LABELS, unexpected)],
    )
