"""The project's aiohttp server: Telegram webhook, health check and Prometheus metrics.

The webhook stores each raw update before answering 200 (a crash after that loses nothing:
unprocessed updates are replayed at start) and rejects requests without the secret token.
Malformed requests get 400 and a wrong secret 403, never a server error; an update stored but
not understood is recorded as failed (`storage/inbound.py`) and answered 200, as Telegram
would only send it again.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from sqlalchemy import func, select
from telegram.ext import Application

from handlers.update_parsing import parse_stored
from storage.inbound import InboundStore
from storage.models import OutboxMessage

from ..app.services import Services
from ..foundation.logs import Throttled
from ..delivery.outbox import BULK
from ..foundation import metrics

log = logging.getLogger(__name__)
UPDATE_ID_LIMIT = 2 ** 63  # the database's BIGINT
SERVICES = web.AppKey("services", Services)
APPLICATION = web.AppKey("application", Application)
REFUSALS = web.AppKey("refusals", Throttled)
REFRESHED = web.AppKey("refreshed", dict)  # when the gauges below were last read
GAUGES_TTL_S = 15.0  # a scrape reads the database at most this often


def count(result: str) -> None:
    metrics.WEBHOOK_REQUESTS.labels(result).inc()


async def webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    secret = services.settings.telegram.webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if secret is None or not hmac.compare_digest(given.encode("utf-8", "replace"),
                                                 secret.get_secret_value().encode()):
        count("forbidden")
        request.app[REFUSALS].warning("webhook request without a valid secret token from %s",
                                      request.remote)
        return web.Response(status=403)
    try:  # a body that trickles in is cut off (the head's timeout is the guard's)
        await asyncio.wait_for(request.read(),
                               services.settings.web.body_timeout_s)
    except asyncio.TimeoutError:
        count("slow")
        return web.Response(status=408, headers={"Connection": "close"})
    try:
        payload = await request.json()
        update_id = payload["update_id"]
        if type(update_id) is not int or not 0 <= update_id < UPDATE_ID_LIMIT:
            raise ValueError("update_id")
        raw = json.dumps(payload, ensure_ascii=False)
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        count("bad")
        return web.Response(status=400)
    count("received")
    store: InboundStore = services.extras["inbound"]
    if not await store.record(update_id, raw):
        count("duplicate")
        return web.Response()
    application = request.app[APPLICATION]
    update = await parse_stored(store, application.bot, update_id, payload)
    if update is not None:
        await application.update_queue.put(update)
    return web.Response()


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        async with services.sessions() as session:
            await session.scalar(select(1))
    except Exception as exc:  # noqa: BLE001 - report, do not crash the probe
        log.warning("health check: the database does not answer: %s", exc)  # not to callers
        return web.json_response({"status": "error", "database": "unavailable"}, status=503)
    return web.json_response({"status": "ok", "knowledge_entries": len(services.knowledge.kb.entries),
                              "matcher": services.knowledge.matcher.mode})


async def metrics_page(request: web.Request) -> web.Response:
    """Prometheus text format. The gauges that need the database (queue depth, open requests)
    are read by indexed counts of the few pending or open rows, at most every 15 s."""
    services = request.app[SERVICES]
    refreshed = request.app[REFRESHED]
    now = asyncio.get_running_loop().time()
    if now - refreshed.get("at", -GAUGES_TTL_S) >= GAUGES_TTL_S:
        refreshed["at"] = now
        try:
            await _read_gauges(services)
            metrics.DATABASE_UP.set(1)
        except Exception as exc:  # noqa: BLE001 - the last values stay; the scrape answers
            metrics.DATABASE_UP.set(0)
            log.warning("metrics: cannot read the database (%s)", type(exc).__name__)
    body, content_type = metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _read_gauges(services: Services) -> None:
    async with services.sessions() as session:
        pending = dict((await session.execute(
            select(OutboxMessage.priority, func.count()).where(
                OutboxMessage.status == "pending").group_by(OutboxMessage.priority))).all())
    bulk = sum(n for priority, n in pending.items() if priority >= BULK)
    metrics.PENDING.labels("interactive").set(sum(pending.values()) - bulk)
    metrics.PENDING.labels("bulk").set(bulk)
    metrics.TICKETS_OPEN.set(await services.tickets.count_open())


def make_web_app(services: Services, application: Application) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[SERVICES] = services
    app[APPLICATION] = application
    app[REFUSALS] = Throttled(log)
    metrics.watch_updates(services.extras["inbound"].counts)
    app[REFRESHED] = {}
    app.router.add_post(services.settings.telegram.webhook_path, webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    return app
