"""Channels: the terminal chat (`console_chat`, `console_subscribe`), the Telegram application
and its runner (`telegram_app`, `telegram_runner`) and the aiohttp web server (`web_server`).

May import everything below, handlers/ included; only the Telegram modules import `telegram`."""
