"""Telegram adapters of bot.requests: the intake conversation and the staff group."""
