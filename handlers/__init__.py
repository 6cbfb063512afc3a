"""Telegram adapters: turn PTB updates into calls on the core and render the results."""
from __future__ import annotations

from telegram.ext import Application, MessageHandler, filters

from . import fallbacks
from .answering import enterprise_handlers as enterprise
from .outreach import (
    broadcast_handlers as broadcasts, event_handlers as events, subscription_handlers as subscriptions,
    survey_handlers as surveys,
)
from .requests import intake_handlers as intake, staff_handlers as staff


def register(application: Application, staff_chat_id: int | None) -> None:
    """The single registration point: intake first (it owns its conversation's messages),
    then staff, notice and enterprise handlers (the subscription questions before the
    enterprise's catch-all), last what no one took (unknown buttons and commands). Edited
    messages never get here (see `_admit` in bot/channels/telegram_app.py)."""
    application.add_handler(intake.conversation())
    for handler in (staff.handlers(staff_chat_id) + broadcasts.handlers()
                    + subscriptions.handlers() + events.handlers() + surveys.handlers()
                    + enterprise.handlers() + fallbacks.handlers()):
        application.add_handler(handler)
    # After whatever ran: a command or menu button while a dialog is open gets a reminder.
    application.add_handler(MessageHandler(
        filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        & (filters.COMMAND | enterprise.MENU_LABELS), enterprise.dialog_reminder), group=1)
