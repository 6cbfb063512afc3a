"""The project's aiohttp server: Telegram webhook, health check and Prometheus metrics.

The webhook stores each raw update before answering 200 (a crash after that loses nothing:
unprocessed updates are replayed at start) and rejects requests without the secret token.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging

from aiohttp import web
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import Application

from storage.inbound import InboundStore
from storage.models import OutboxMessage, QuestionLog

from ..app.services import Services
from .web_guard import ConnectionGuard

log = logging.getLogger(__name__)
SERVICES = web.AppKey("services", Services)
APPLICATION = web.AppKey("application", Application)
COUNTERS = web.AppKey("counters", dict)
GUARD = web.AppKey("guard", ConnectionGuard)


async def webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    counters = request.app[COUNTERS]
    secret = services.settings.telegram.webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if secret is None or not hmac.compare_digest(given.encode(),
                                                 secret.get_secret_value().encode()):
        counters["forbidden"] += 1
        log.warning("webhook request without a valid secret token from %s", request.remote)
        return web.Response(status=403)
    try:  # a body that trickles in is cut off (the head's timeout is the guard's)
        await asyncio.wait_for(request.read(),
                               services.settings.web.body_timeout_s)
    except asyncio.TimeoutError:
        counters["slow"] += 1
        return web.Response(status=408, headers={"Connection": "close"})
    try:
        payload = await request.json()
        update_id = int(payload["update_id"])
    except (ValueError, KeyError, TypeError):
        counters["bad"] += 1
        return web.Response(status=400)
    counters["received"] += 1
    store: InboundStore = services.extras["inbound"]
    if not await store.record(update_id, json.dumps(payload, ensure_ascii=False)):
        counters["duplicate"] += 1
        return web.Response()
    application = request.app[APPLICATION]
    await application.update_queue.put(Update.de_json(payload, application.bot))
    return web.Response()


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    try:
        async with services.sessions() as session:
            await session.scalar(select(1))
    except Exception as exc:  # noqa: BLE001 - report, do not crash the probe
        return web.json_response({"status": "error", "database": str(exc)}, status=503)
    return web.json_response({"status": "ok", "knowledge_entries": len(services.knowledge.kb.entries),
                              "matcher": services.knowledge.matcher.mode})


async def metrics(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    counters = request.app[COUNTERS]
    async with services.sessions() as session:
        outbox = dict((await session.execute(select(OutboxMessage.status, func.count())
                                             .group_by(OutboxMessage.status))).all())
        questions = dict((await session.execute(select(QuestionLog.decision, func.count())
                                                .group_by(QuestionLog.decision))).all())
    open_tickets = await services.tickets.count_open()
    lines = [
        "# HELP sme_webhook_requests_total Webhook requests by result.",
        "# TYPE sme_webhook_requests_total counter",
        *(f'sme_webhook_requests_total{{result="{k}"}} {v}' for k, v in sorted(counters.items())),
        "# HELP sme_outbox_messages Outbox messages by delivery status.",
        "# TYPE sme_outbox_messages gauge",
        *(f'sme_outbox_messages{{status="{s}"}} {outbox.get(s, 0)}'
          for s in ("pending", "sent", "failed")),
        "# HELP sme_questions_total Questions asked by decision.",
        "# TYPE sme_questions_total counter",
        *(f'sme_questions_total{{decision="{d}"}} {questions.get(d, 0)}'
          for d in ("answered", "suggested", "no_answer")),
        "# HELP sme_tickets_open Open enterprise requests.",
        "# TYPE sme_tickets_open gauge",
        f"sme_tickets_open {open_tickets}",
    ]
    return web.Response(text="\n".join(lines) + "\n",
                        content_type="text/plain", charset="utf-8")


def make_web_app(services: Services, application: Application,
                 guard: ConnectionGuard | None = None) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[SERVICES] = services
    app[APPLICATION] = application
    app[COUNTERS] = {"received": 0, "duplicate": 0, "forbidden": 0, "bad": 0, "slow": 0}
    if guard is not None:
        app[GUARD] = guard
    app.router.add_post(services.settings.telegram.webhook_path, webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
