"""Telegram adapters of bot.delivery: the outbox transport over the Bot API and its HTML helpers."""
