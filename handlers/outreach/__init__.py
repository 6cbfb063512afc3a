"""Telegram adapters of bot.outreach: broadcast previews and subscriptions."""
