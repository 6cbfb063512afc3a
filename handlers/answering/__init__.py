"""Telegram adapters of bot.answering: an enterprise's private chat (questions, browsing,
feedback, hand-off to a person)."""
