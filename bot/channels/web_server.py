"""The project's aiohttp server: Telegram webhook, health check and Prometheus metrics.

The webhook stores each raw update before answering 200 (a crash after that loses nothing:
unprocessed updates are replayed at start) and rejects requests without the secret token.
Malformed requests get 400 and a wrong secret 403, never a server error; an update stored but
not understood is recorded as failed (`storage/inbound.py`) and answered 200, as Telegram
would only send it again.
"""
from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from sqlalchemy import func, select
from telegram.ext import Application

from handlers.update_parsing import parse_stored
from storage.inbound import InboundStore
from storage.models import OutboxMessage, QuestionLog

from ..app.services import Services
from ..foundation.logs import Throttled

log = logging.getLogger(__name__)
UPDATE_ID_LIMIT = 2 ** 63  # the database's BIGINT
SERVICES = web.AppKey("services", Services)
APPLICATION = web.AppKey("application", Application)
COUNTERS = web.AppKey("counters", dict)
REFUSALS = web.AppKey("refusals", Throttled)


async def webhook(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    counters = request.app[COUNTERS]
    secret = services.settings.telegram.webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if secret is None or not hmac.compare_digest(given.encode("utf-8", "replace"),
                                                 secret.get_secret_value().encode()):
        counters["forbidden"] += 1
        request.app[REFUSALS].warning("webhook request without a valid secret token from %s",
                                      request.remote)
        return web.Response(status=403)
    try:
        payload = await request.json()
        update_id = payload["update_id"]
        if type(update_id) is not int or not 0 <= update_id < UPDATE_ID_LIMIT:
            raise ValueError("update_id")
        raw = json.dumps(payload, ensure_ascii=False)
    except (ValueError, KeyError, TypeError, IndexError, RecursionError):
        counters["bad"] += 1
        return web.Response(status=400)
    counters["received"] += 1
    store: InboundStore = services.extras["inbound"]
    if not await store.record(update_id, raw):
        counters["duplicate"] += 1
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


async def metrics(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    counters = request.app[COUNTERS]
    inbound: InboundStore = services.extras["inbound"]
    try:
        async with services.sessions() as session:
            outbox = dict((await session.execute(select(OutboxMessage.status, func.count())
                                                 .group_by(OutboxMessage.status))).all())
            questions = dict((await session.execute(select(QuestionLog.decision, func.count())
                                                    .group_by(QuestionLog.decision))).all())
        open_tickets = await services.tickets.count_open()
        database_up = 1
    except Exception as exc:  # noqa: BLE001 - the counters still count; the database is down
        log.warning("metrics: the database does not answer: %s", exc)
        outbox, questions, open_tickets, database_up = None, None, None, 0
    lines = [
        "# HELP sme_database_up Whether the database answered this scrape.",
        "# TYPE sme_database_up gauge",
        f"sme_database_up {database_up}",
        "# HELP sme_inbound_updates_total Stored updates by outcome (failed: each failed "
        "attempt; parked: given up after the last).",
        "# TYPE sme_inbound_updates_total counter",
        *(f'sme_inbound_updates_total{{result="{k}"}} {inbound.counts[k]}'
          for k in ("replayed", "unparseable", "failed", "parked")),
        "# HELP sme_webhook_requests_total Webhook requests by result.",
        "# TYPE sme_webhook_requests_total counter",
        *(f'sme_webhook_requests_total{{result="{k}"}} {v}' for k, v in sorted(counters.items())),
    ]
    if database_up:  # no figures rather than wrong ones
        lines += _database_lines(outbox, questions, open_tickets)
    return web.Response(text="\n".join(lines) + "\n",
                        content_type="text/plain", charset="utf-8")


def _database_lines(outbox: dict, questions: dict, open_tickets: int) -> list[str]:
    return [
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


def make_web_app(services: Services, application: Application) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[SERVICES] = services
    app[APPLICATION] = application
    app[COUNTERS] = {"received": 0, "duplicate": 0, "forbidden": 0, "bad": 0}
    app[REFUSALS] = Throttled(log)
    app.router.add_post(services.settings.telegram.webhook_path, webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
