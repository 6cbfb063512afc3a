"""Outreach: broadcasts to enterprises (`broadcasts`), who receives them (`broadcast_segment`)
and the subscriptions enterprises choose (`subscriptions`).

Imports bot.requests, bot.delivery, bot.foundation, storage/; never `telegram`."""
