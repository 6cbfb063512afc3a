"""Delivery: channel-neutral outgoing messages (`outgoing`, `safe_html`), the outbox and its
paced sender (`outbox`, `pacing`) and the per-user flood guard (`flood_guard`).

Imports bot.foundation and storage/; never `telegram` (a channel supplies the transport)."""
