"""Delivers outbox messages through the Telegram Bot API and translates its errors.

The outbox sender decides on retries; this module only says what happened: flood control
(`RetryLater`), a blocked user (`Unreachable`), or a message Telegram refuses (`Rejected`).
Two 400s are repaired on the spot: HTML that does not parse is resent as plain text, and a
forum topic that no longer exists is replaced by the group itself.
"""
from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.outgoing import Outgoing, plain_text
from bot.delivery.outbox import Delivered, Migrated, Rejected, RetryLater, Unreachable

from .telegram_html import split_html

log = logging.getLogger(__name__)
def markup(message: Outgoing):
    if message.buttons:
        return InlineKeyboardMarkup([[
            InlineKeyboardButton(b.text, callback_data=b.data) if b.data
            else InlineKeyboardButton(b.text, url=b.url) for b in row] for row in message.buttons])
    if message.keyboard:
        return ReplyKeyboardMarkup(message.keyboard, resize_keyboard=True)
    return None


def _kind(exc: Exception) -> str:
    """A temporary failure for the metrics: timeout, network (no answer: the connection
    failed) or 5xx (PTB raises NetworkError for Telegram's server errors too)."""
    if isinstance(exc, TimedOut):
        return "timeout"
    if isinstance(exc, NetworkError) and not str(exc.message).startswith("httpx"):
        return "5xx"
    return "network"


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class TelegramTransport:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def create_topic(self, chat_id: str, name: str) -> int | None:
        try:
            topic = await self.bot.create_forum_topic(chat_id=int(chat_id), name=name[:128])
        except BadRequest as exc:  # not a forum, or no right to manage topics: use the group
            log.warning("cannot create a forum topic in %s: %s", chat_id, exc.message)
            return None
        except (RetryAfter, TimedOut, NetworkError) as exc:
            raise self._retry(exc) from exc
        return topic.message_thread_id

    async def send(self, chat_id: str, message: Outgoing, thread_id: int | None,
                   edit_message_id: int | None) -> Delivered:
        try:
            return await self._send(int(chat_id), message, thread_id, edit_message_id)
        except BadRequest as exc:
            text = exc.message.lower()
            if "can't parse entities" in text and not message.plain:
                log.warning("HTML refused (%s); resending as plain text", exc.message)
                plain = Outgoing(**{**message.__dict__, "plain": True})
                return await self.send(chat_id, plain, thread_id, edit_message_id)
            if "message thread not found" in text and thread_id is not None:
                return await self.send(chat_id, message, None, edit_message_id)
            if "message is not modified" in text:
                return Delivered(edit_message_id)
            raise Rejected(exc.message) from exc
        except Forbidden as exc:
            raise Unreachable(exc.message) from exc
        except ChatMigrated as exc:
            raise Migrated(exc.new_chat_id) from exc
        except (RetryAfter, TimedOut, NetworkError) as exc:
            raise self._retry(exc) from exc

    @staticmethod
    def _retry(exc: Exception) -> RetryLater:
        if isinstance(exc, RetryAfter):
            return RetryLater(_seconds(exc.retry_after), f"flood control: {exc.message}", "429")
        return RetryLater(1.0, f"{type(exc).__name__}: {exc}", _kind(exc))

    async def _send(self, chat_id: int, message: Outgoing, thread_id: int | None,
                    edit_message_id: int | None) -> Delivered:
        parse_mode = None if message.plain else ParseMode.HTML
        text = plain_text(message.text or "") if message.plain else (message.text or "")
        if message.kind == "topic":
            action = {"close": self.bot.close_forum_topic, "reopen": self.bot.reopen_forum_topic}
            if thread_id is not None and message.topic_action in action:
                await action[message.topic_action](chat_id=chat_id, message_thread_id=thread_id)
            return Delivered(None)
        if message.kind == "copy":
            result = await self.bot.copy_message(
                chat_id=chat_id, from_chat_id=int(message.copy_from or 0),
                message_id=message.copy_message_id, caption=text or None,
                parse_mode=parse_mode if text else None, reply_markup=markup(message),
                message_thread_id=thread_id)
            return Delivered(result.message_id)
        if message.kind in ("photo", "document"):
            upload = self.bot.send_photo if message.kind == "photo" else self.bot.send_document
            try:
                handle = open(message.file_path or "", "rb")  # noqa: SIM115 - closed below
            except OSError as exc:  # the file was removed before it could be sent
                raise Rejected(f"file unavailable: {exc}") from exc
            with handle:
                result = await upload(chat_id, handle, caption=text[:1024] or None,
                                      parse_mode=parse_mode if text else None,
                                      message_thread_id=thread_id)
            return Delivered(result.message_id)
        if edit_message_id is not None:
            result = await self.bot.edit_message_text(
                chat_id=chat_id, message_id=edit_message_id, text=text[:4096],
                parse_mode=parse_mode, reply_markup=markup(message))
            return Delivered(getattr(result, "message_id", edit_message_id))
        parts = split_html(text) if parse_mode else [text[i:i + 4096]
                                                     for i in range(0, len(text), 4096)]
        if not parts:
            return Delivered(None)
        # One part per send: the sender records each part's delivery and paces each as a
        # message, so a retry sends only what is missing.
        index = min(message.parts_sent, len(parts) - 1)
        last = index == len(parts) - 1
        params = {"chat_id": chat_id, "text": parts[index], "parse_mode": parse_mode,
                  "reply_markup": markup(message) if last else None,
                  "message_thread_id": thread_id}
        # The raw API call: the bot only needs the message id, and building a full
        # Message object for every reply was a measurable share of the sender's time.
        sent = await self.bot.do_api_request(
            "sendMessage", api_kwargs={k: v for k, v in params.items() if v is not None})
        return Delivered(sent["message_id"], more=not last)
