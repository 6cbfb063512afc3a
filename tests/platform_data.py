"""A random but reproducible year of the platform's work for the report tests (and the
bench): enterprises, contacts linked to them or not, needs from every source, visits and
outcomes — some just outside the year — with the report's true figures computed here, in
Python, independently of the SQL that computes them in the product."""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import Contact, Enterprise, Ticket, TicketOutcome, Visit

TZ = ZoneInfo("Asia/Shanghai")
YEAR_START = datetime(2026, 1, 1, tzinfo=TZ)
YEAR_END = datetime(2027, 1, 1, tzinfo=TZ)
SOURCES = ("chat", "phone", "visit", "survey", "event")
CATEGORIES = ("financing", "legal", "project", "policy", "hr", "other")
STATUSES = ("new", "in_progress", "waiting", "resolved", "closed", "transferred", "reopened")
PROGRAMMES = ("高企", "科小", "专精特新", "小巨人")
LEVELS = ("国家", "自治区", "市")
RESULTS = ("获批", "未获批", "待定")
CHUNK = 2000  # rows per multi-row insert


@dataclass
class Truth:
    served: int = 0
    served_by_source: dict = field(default_factory=dict)
    needs: int = 0
    needs_by_source: dict = field(default_factory=dict)
    resolved: int = 0
    visits: int = 0
    visited: int = 0
    approved: dict = field(default_factory=dict)
    approved_enterprises: int = 0
    financed: int = 0
    credit_yuan: int = 0
    disbursed_yuan: int = 0
    legal_enterprises: int = 0
    legal_needs: int = 0
    recovered_yuan: int = 0


def _moment(rng: random.Random) -> datetime:
    """Mostly in 2026, some in the last days of 2025 or the first of 2027, edges included;
    as UTC, as the product stores every instant."""
    return _local_moment(rng).astimezone(timezone.utc)


def _local_moment(rng: random.Random) -> datetime:
    pick = rng.random()
    if pick < 0.03:
        return YEAR_START  # the first instant counts
    if pick < 0.06:
        return YEAR_END - timedelta(seconds=1)
    if pick < 0.12:
        return YEAR_START - timedelta(seconds=rng.randint(1, 20 * 86400))
    if pick < 0.16:
        return YEAR_END + timedelta(seconds=rng.randint(0, 20 * 86400))
    return YEAR_START + timedelta(seconds=rng.randint(0, 364 * 86400))


def in_year(moment: datetime) -> bool:
    return YEAR_START <= moment < YEAR_END


async def seed_year(sessions: async_sessionmaker, enterprises: int = 30, needs: int = 300,
                    visits: int = 25, seed: int = 18) -> Truth:
    """Seed the database (ids from 1: an empty one) and return the report's true figures."""
    rng = random.Random(seed)
    now = datetime(2026, 12, 6, tzinfo=timezone.utc)
    rows: dict[type, list[dict]] = {model: [] for model in (Enterprise, Contact, Ticket, Visit,
                                                            TicketOutcome)}
    rows[Enterprise] = [dict(id=n, credit_code=None, name=f"企业{n:05d}", created_at=now,
                             updated_at=now) for n in range(1, enterprises + 1)]
    owner: dict[int, int] = {}  # contact → enterprise key (register id, or -contact id)
    for contact_id in range(1, enterprises * 2 + 6):
        linked = rng.randint(1, enterprises) if contact_id <= enterprises * 2 else None
        channel = "register" if contact_id <= enterprises else "telegram"
        if contact_id <= enterprises:
            linked = contact_id
        rows[Contact].append(dict(id=contact_id, channel=channel, external_id=str(contact_id),
                                  chat_id=str(contact_id), enterprise_id=linked, language="zh-CN",
                                  created_at=now))
        owner[contact_id] = linked if linked is not None else -contact_id
    truth = Truth()
    served: set[int] = set()
    by_source: dict[str, set[int]] = defaultdict(set)
    legal: set[int] = set()
    tickets = {}
    for ticket_id in range(1, needs + 1):
        contact = rng.randint(1, len(owner))
        ticket = dict(id=ticket_id, contact_id=contact, category=rng.choice(CATEGORIES),
                      description="需求", status=rng.choice(STATUSES), origin="intake",
                      priority="normal", source=rng.choice(SOURCES), created_at=_moment(rng),
                      updated_at=now)
        rows[Ticket].append(ticket)
        tickets[ticket_id] = ticket
        if in_year(ticket["created_at"]):
            key, source = owner[contact], ticket["source"]
            truth.needs += 1
            truth.needs_by_source[source] = truth.needs_by_source.get(source, 0) + 1
            truth.resolved += ticket["status"] in ("resolved", "closed")
            served.add(key)
            by_source[source].add(key)
            if ticket["category"] == "legal":
                truth.legal_needs += 1
                legal.add(key)
    visited: set[int] = set()
    for visit_id in range(1, visits + 1):
        enterprise = rng.randint(1, enterprises)
        day = _moment(rng).astimezone(TZ).date()
        rows[Visit].append(dict(id=visit_id, enterprise_id=enterprise, visited_on=day,
                                staff_id="7003", created_at=now))
        if date(2026, 1, 1) <= day <= date(2026, 12, 31):
            truth.visits += 1
            visited.add(enterprise)
    served |= visited
    by_source["visit"] |= visited
    approved: dict[tuple, set[int]] = defaultdict(set)
    approved_all: set[int] = set()
    financed: set[int] = set()
    outcome_id = 0
    for ticket_id in rng.sample(sorted(tickets), needs // 2):
        ticket = tickets[ticket_id]
        key = owner[ticket["contact_id"]]
        at = _moment(rng)
        outcome_id += 1
        kind = {"financing": "financing", "project": "project", "legal": "legal"}.get(
            ticket["category"], "other")
        outcome = dict(id=outcome_id, ticket_id=ticket_id, kind=kind, subject="", at=at,
                       institution=None, credit_yuan=None, disbursed_yuan=None, programme=None,
                       level=None, result=None, recovered_yuan=None)
        if kind == "financing":
            outcome["institution"] = outcome["subject"] = rng.choice(("农行", "建行"))
            outcome["credit_yuan"] = rng.randint(0, 5000) * 10_000
            outcome["disbursed_yuan"] = rng.randint(0, outcome["credit_yuan"] // 10_000) * 10_000
        elif kind == "project":
            outcome["programme"] = outcome["subject"] = rng.choice(PROGRAMMES)
            outcome["level"], outcome["result"] = rng.choice(LEVELS), rng.choice(RESULTS)
        elif kind == "legal":
            outcome["recovered_yuan"] = rng.randint(0, 10**9)
        else:
            outcome["result"] = "已办"
        rows[TicketOutcome].append(outcome)
        if not in_year(at):
            continue
        if kind == "financing":
            financed.add(key)
            truth.credit_yuan += outcome["credit_yuan"]
            truth.disbursed_yuan += outcome["disbursed_yuan"]
        elif kind == "project" and outcome["result"] == "获批":
            approved[(outcome["programme"], outcome["level"])].add(key)
            approved_all.add(key)
        elif kind == "legal":
            truth.recovered_yuan += outcome["recovered_yuan"]
    truth.served = len(served)
    truth.served_by_source = {source: len(keys) for source, keys in by_source.items() if keys}
    truth.visited = len(visited)
    truth.approved = {key: len(keys) for key, keys in approved.items()}
    truth.approved_enterprises = len(approved_all)
    truth.financed = len(financed)
    truth.legal_enterprises = len(legal)
    async with sessions.begin() as session:
        for model, items in rows.items():
            for start in range(0, len(items), CHUNK):
                await session.execute(insert(model), items[start:start + CHUNK])
        if session.bind.dialect.name == "postgresql":  # ids given: move the sequences on
            for model in rows:
                table = model.__tablename__
                await session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM {table}))"))
    return truth
