"""Run the Telegram bot: long polling (`sme-assistant run`) or webhook (`sme-assistant serve`)."""
from __future__ import annotations

import asyncio
import gc
import logging
import signal
from contextlib import asynccontextmanager
from typing import AsyncIterator

from aiohttp import web

from ..foundation.settings import Settings
from ..app.services import Services, running_services
from .telegram_app import (
    ALLOWED_UPDATES, build_application, resume_as_poller, running_application,
)
from ..foundation.log_throttle import LogThrottle
from .web_guard import ConnectionGuard, GuardedSite, ensure_descriptors, quiet_loop_errors
from .web_server import make_web_app

log = logging.getLogger(__name__)


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    return stop


@asynccontextmanager
async def polling(services: Services) -> AsyncIterator:
    async with running_application(build_application(services)) as application:
        await resume_as_poller(application)
        await application.updater.start_polling(
            allowed_updates=ALLOWED_UPDATES,
            timeout=services.settings.telegram.poll_timeout)
        try:
            yield application
        finally:
            await application.updater.stop()


@asynccontextmanager
async def webhook_server(services: Services) -> AsyncIterator[tuple]:
    """The aiohttp server with the webhook; yields (application, site port)."""
    settings = services.settings
    async with running_application(build_application(services, webhook=True)) as application:
        if settings.telegram.webhook_url:
            await application.bot.set_webhook(
                url=settings.telegram.webhook_url.rstrip("/") + settings.telegram.webhook_path,
                secret_token=settings.telegram.webhook_secret.get_secret_value()
                if settings.telegram.webhook_secret else None,
                allowed_updates=ALLOWED_UPDATES)
        web_settings = settings.web
        quiet_loop_errors(asyncio.get_running_loop(), LogThrottle())
        ensure_descriptors(web_settings.max_connections)
        guard = ConnectionGuard(web_settings.max_connections, web_settings.header_timeout_s)
        runner = web.AppRunner(make_web_app(services, application),
                               keepalive_timeout=web_settings.header_timeout_s)
        await runner.setup()
        site = GuardedSite(runner, web_settings.host, web_settings.port, guard)
        await site.start()
        port = site.port
        log.info("serving on %s:%s", settings.web.host, port)
        try:
            yield application, port
        finally:
            await runner.cleanup()


def _serve(settings: Settings, channel) -> int:
    """Run `channel` (polling or webhook_server) with the services until SIGINT/SIGTERM."""

    async def main() -> None:
        stop = _stop_event()
        async with running_services(settings) as services, channel(services):
            # The knowledge base, the matcher's index and the application live as long as the
            # process: frozen, a full garbage collection no longer walks them (each took
            # 40-120 ms, the worst latencies in bench/telegram_bench.py).
            gc.collect()
            gc.freeze()
            await stop.wait()

    asyncio.run(main())
    return 0


def run_polling(settings: Settings) -> int:
    return _serve(settings, polling)


def run_webhook(settings: Settings) -> int:
    return _serve(settings, webhook_server)
