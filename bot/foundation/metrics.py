"""Every Prometheus metric of the process, in one registry (`/metrics` renders it).

Other modules import the metric objects from here and change them where things happen;
nothing here scans a table. Names (README, "Metrics"):

- sme_answer_latency_seconds           update received → its answer acknowledged by Telegram
- sme_outbox_send_seconds{outcome}     one send to the channel, by outcome
- sme_outbox_sends_total{outcome}      sent, part, 429, 403, 400, 5xx, timeout, network, error
- sme_outbox_pending{priority}         queue depth (interactive, bulk), refreshed at most every
                                       15 s by an indexed count of pending rows
- sme_matcher_decisions_total{decision}, sme_matcher_confidence{decision}
- sme_updates_total{result}            stored updates replayed (handed to the handlers again),
                                       unparseable, failed (each failed attempt), parked
                                       (failed too often: set aside for an operator); read at
                                       scrape time from the process's inbound store
- sme_database_up                      whether the database answered the last gauge refresh
- sme_webhook_requests_total{result}   received, duplicate, forbidden, bad, slow
- sme_web_connections_open, sme_web_connections_shed_total, sme_web_connections_timed_out_total
- sme_tickets_open                     (refreshed with the queue depth)
"""
from __future__ import annotations

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector,
                               generate_latest)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # process_open_fds, memory, CPU

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)

ANSWER_LATENCY = Histogram(
    "sme_answer_latency_seconds", "From an enterprise's update being received to Telegram "
    "acknowledging the bot's answer (updates received and answered by this process).",
    buckets=LATENCY_BUCKETS, registry=REGISTRY)
SEND_LATENCY = Histogram(
    "sme_outbox_send_seconds", "Duration of one outbox send to the channel, by outcome.",
    ["outcome"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY)
SENDS = Counter(
    "sme_outbox_sends", "Outbox sends by outcome: sent, part (of a long text), 429, 403, 400, "
    "5xx, timeout, network, error.", ["outcome"], registry=REGISTRY)
PENDING = Gauge(
    "sme_outbox_pending", "Outbox messages waiting to be sent, by priority.", ["priority"],
    registry=REGISTRY)
MATCHER_DECISIONS = Counter(
    "sme_matcher_decisions", "Questions by the matcher's decision.", ["decision"],
    registry=REGISTRY)
MATCHER_CONFIDENCE = Histogram(
    "sme_matcher_confidence", "The matcher's confidence in its best entry, by decision.",
    ["decision"], buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    registry=REGISTRY)
DATABASE_UP = Gauge("sme_database_up", "Whether the database answered the last refresh.",
                    registry=REGISTRY)


class _UpdateOutcomes(Collector):
    """The inbound store's counts (storage/ sits below this module and cannot import it)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def collect(self):
        family = CounterMetricFamily("sme_updates", "Stored updates by outcome: replayed, "
                                     "unparseable, failed (each attempt), parked.",
                                     labels=["result"])
        for result in ("replayed", "unparseable", "failed", "parked"):
            family.add_metric([result], self.counts.get(result, 0))
        yield family


UPDATE_OUTCOMES = _UpdateOutcomes()
REGISTRY.register(UPDATE_OUTCOMES)


def watch_updates(counts: dict[str, int]) -> None:
    """Expose this dict of counts (the process's `InboundStore.counts`) as sme_updates_total."""
    UPDATE_OUTCOMES.counts = counts


WEBHOOK_REQUESTS = Counter(
    "sme_webhook_requests", "Webhook requests by result.", ["result"], registry=REGISTRY)
CONNECTIONS_OPEN = Gauge(
    "sme_web_connections_open", "Open connections to the web server.", registry=REGISTRY)
CONNECTIONS_SHED = Counter(
    "sme_web_connections_shed", "Connections closed to keep web.max_connections.",
    registry=REGISTRY)
CONNECTIONS_TIMED_OUT = Counter(
    "sme_web_connections_timed_out", "Connections closed because their request's head did "
    "not arrive within web.header_timeout_s.", registry=REGISTRY)
TICKETS_OPEN = Gauge("sme_tickets_open", "Open enterprise requests.", registry=REGISTRY)

for _outcome in ("sent", "429", "403", "5xx", "timeout"):  # present from the start, at 0
    SENDS.labels(_outcome)
for _priority in ("interactive", "bulk"):
    PENDING.labels(_priority)
for _result in ("received", "duplicate", "forbidden", "bad", "slow"):
    WEBHOOK_REQUESTS.labels(_result)


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
