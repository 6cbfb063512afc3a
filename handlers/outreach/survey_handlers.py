"""Enterprise side of surveys: the buttons of invitations and questions, and typed answers
(numbers, text), taken by the enterprise's text handler before the assistant while a survey
waits for one. The rules live in `bot.outreach.surveys`."""
from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.app.survey_commands import surveys
from bot.delivery.outgoing import Outgoing
from bot.outreach.surveys import Step, press, pressed, step_text

from ..telegram_context import AppContext, contact_of, pressed_by

WAITING = "survey_waiting"  # user_data: the survey whose question is answered by typing


async def button(update: Update, context: AppContext) -> None:
    if (pressing := await pressed_by(update, context, pressed)) is None:
        return
    contact, (action, numbers) = pressing
    query = update.callback_query
    step = await press(surveys(context.services), contact.id, action, numbers)
    if step.typed:
        context.user_data[WAITING] = numbers[0]
    elif step.key in ("asked", "finished", "finished_before"):
        context.user_data.pop(WAITING, None)
    if step.key in ("selected", "stale") or step.key.startswith("err."):
        await query.answer(step_text(step, contact.language), show_alert=step.key != "selected")
        return
    await query.answer()
    if (text := step_text(step, contact.language)) is not None:
        await context.services.postman.send(contact.chat_id, Outgoing(text=text))


async def typed(update: Update, context: AppContext) -> bool:
    """A typed answer while a survey waits for one (True); anything else (False) goes on to
    the assistant."""
    survey_id = context.user_data.get(WAITING)
    if survey_id is None:
        return False
    contact = await contact_of(update, context)
    step = await surveys(context.services).answer(contact.id, survey_id,
                                                  update.effective_message.text)
    if step.key in ("missing", "finished_before", "stale"):
        context.user_data.pop(WAITING, None)
        return False  # not an answer after all: the assistant takes it
    if not step.typed:
        context.user_data.pop(WAITING, None)
    if (text := step_text(step, contact.language)) is not None:
        await context.services.postman.send(contact.chat_id, Outgoing(text=text))
    return True


def handlers() -> list:
    return [CallbackQueryHandler(button, pattern=r"^sv:")]
