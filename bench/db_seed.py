"""A realistic two-year ticket history for the database benchmark, generated deterministically
and bulk-loaded: `COPY` (asyncpg) on PostgreSQL, executemany in big transactions on SQLite.

Shape: one contact per five tickets (85 % with an enterprise profile; a tenth of the tickets
come from 2,000 very active enterprises), 30 staff, volume growing over two years, ~3.5 events
and ~2.2 messages per ticket, two logged questions per ticket; the outbox holds what was sent
(each ticket's staff topic, card and notice, each staff reply and each answer). Old tickets are nearly all
resolved or closed; a few percent stay open (mostly transferred to another department).
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.requests.ticket_rules import CATEGORIES, PRIORITIES
from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import (
    Base, Contact, EnterpriseProfile, OutboxMessage, QuestionLog, Ticket, TicketEvent,
    TicketMessage,
)
from tests.databases import create_database, drop_databases

DAYS = 730
CHUNK = 20_000  # tickets generated and loaded per round (bounded memory)
ACTIVE_CONTACTS = 2_000
STAFF = [(str(7_000_001 + i), name) for i, name in enumerate(
    "张伟 王芳 李娜 刘洋 陈静 杨帆 赵磊 黄敏 周杰 吴婷 徐鹏 孙丽 马超 朱琳 胡斌 郭瑶 何军 高倩 林峰 "
    "罗佳 郑浩 梁雪 谢东 宋燕 唐亮 许静 韩梅 冯刚 邓丹 曹宇".split())]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
DISTRICTS = ["高新区", "经开区", "滨江区", "城北区", "临港新区", "西湖区", "南山区", "龙华区"]
INDUSTRIES = ["制造业", "软件和信息技术", "批发零售", "餐饮", "建筑", "物流", "生物医药", "文化创意"]
WORDS = ["华信", "天成", "锦程", "宏达", "启明", "瑞丰", "博远", "鼎盛", "新源", "恒通", "众创", "智联"]
NEEDS = {
    "financing": "我们是{industry}企业，想申请{n}0万元的信用贷款用于采购原材料，请问有哪些贴息政策？",
    "legal": "客户拖欠货款{n}个月了，合同约定的付款期早已过，想了解怎么催收、诉讼时效还剩多久。",
    "project": "想申报今年的专精特新项目，我们去年营收{n}千万，研发投入占比够不够，材料怎么准备？",
    "policy": "小规模纳税人增值税减免政策今年还执行吗？我们季度销售额大约{n}0万元。",
    "market": "想参加{n}月份的产销对接会，拓展华东市场，请问报名条件和费用是多少？",
    "digital": "计划做生产线数字化改造，预算{n}0万元左右，有没有诊断服务和补贴？",
    "hr": "新招了{n}名员工，试用期和社保缴纳怎么约定才合规？稳岗补贴能不能申请？",
    "logistics": "出口货物在港口滞留{n}天了，想咨询通关和物流费用补贴的渠道。",
    "other": "企业准备搬迁到{district}，想了解租金补贴和办理变更登记的流程，大概{n}周内完成。",
}
CATEGORY_WEIGHTS = [25, 20, 12, 18, 6, 5, 8, 3, 3]  # in CATEGORIES order
PRIORITY_WEIGHTS = [10, 70, 15, 5]  # in PRIORITIES order
STATUSES_RECENT = (["new", "in_progress", "waiting", "transferred", "resolved"], [35, 35, 15, 3, 12])
STATUSES_MONTH = (["new", "in_progress", "waiting", "reopened", "transferred", "resolved",
                   "closed"], [3, 12, 10, 1, 4, 35, 35])
STATUSES_OLD = (["new", "in_progress", "waiting", "reopened", "transferred", "resolved",
                 "closed"], [0.1, 0.6, 0.5, 0.1, 2.5, 40, 56.2])
CREDIT = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DECISIONS = ["answered", "suggested", "no_answer"]


@dataclass(frozen=True)
class Plan:
    tickets: int

    @property
    def contacts(self) -> int:
        return max(ACTIVE_CONTACTS, self.tickets // 5)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2)))


def contact_rows(plan: Plan, now: datetime) -> Iterator[tuple[list[dict], list[dict]]]:
    rng = random.Random(1)
    start = now - timedelta(days=DAYS + 30)
    for first in range(1, plan.contacts + 1, CHUNK):
        contacts, profiles = [], []
        for cid in range(first, min(plan.contacts, first + CHUNK - 1) + 1):
            created = start + timedelta(seconds=rng.uniform(0, DAYS * 86400))
            external = str(6_000_000_000 + cid)
            contacts.append({
                "id": cid, "channel": "telegram", "external_id": external, "chat_id": external,
                "display_name": _name(rng), "language": "zh-CN" if rng.random() < 0.95 else "en",
                "source": "poster" if rng.random() < 0.1 else None, "human_ticket_id": None,
                "unreachable_at": None, "created_at": created})
            if rng.random() < 0.85:
                profiles.append({
                    "contact_id": cid,
                    "company_name": f"{rng.choice(DISTRICTS)[:2]}{rng.choice(WORDS)}"
                                    f"{rng.choice(INDUSTRIES)[:2]}有限公司",
                    "credit_code": "91" + "".join(rng.choices(CREDIT, k=16)),
                    "contact_name": _name(rng), "phone": f"13{rng.randrange(10**9):09d}",
                    "industry": rng.choice(INDUSTRIES), "district": rng.choice(DISTRICTS),
                    "consent_at": created, "updated_at": created})
        yield contacts, profiles


class _History:
    """Tickets' rows: their events, their messages and what was sent about them."""

    def __init__(self, ids: dict[str, int]) -> None:
        self.ids = ids
        self.events: list[dict] = []
        self.messages: list[dict] = []
        self.outbox: list[dict] = []

    def event(self, ticket_id: int, at: datetime, actor: tuple[str, str, str], action: str,
              before: str | None, after: str, detail: str | None = None) -> None:
        self.ids["event"] += 1
        kind, actor_id, name = actor
        self.events.append({
            "id": self.ids["event"], "ticket_id": ticket_id, "at": at, "actor_kind": kind,
            "actor_id": actor_id, "actor_name": name, "action": action, "from_status": before,
            "to_status": after, "detail": detail})

    def message(self, ticket_id: int, at: datetime, direction: str, author: tuple[str, str],
                body: str) -> None:
        self.ids["message"] += 1
        self.messages.append({
            "id": self.ids["message"], "ticket_id": ticket_id, "at": at, "direction": direction,
            "author_id": author[0], "author_name": author[1], "kind": "text", "text": body,
            "file_id": None, "chat_id": None, "message_id": None})
        if direction == "out":
            self.sent(ticket_id, at, author[0], "reply", body)

    def sent(self, ticket_id: int | None, at: datetime, chat_id: str, purpose: str,
             body: str) -> None:
        self.ids["outbox"] += 1
        self.outbox.append({
            "id": self.ids["outbox"], "created_at": at, "chat_id": chat_id,
            "ticket_id": ticket_id, "purpose": purpose,
            "payload": json.dumps({"text": body, "parse_mode": "HTML"}, ensure_ascii=False),
            "status": "sent",
            "attempts": 1, "next_attempt_at": at, "last_error": None,
            "sent_message_id": self.ids["outbox"], "sent_at": at, "priority": 0,
            "broadcast_id": None})


def _contact_of(rng: random.Random, plan: Plan) -> int:
    if rng.random() < 0.1:
        return rng.randint(1, ACTIVE_CONTACTS)
    return rng.randint(1, plan.contacts)


def ticket_rows(plan: Plan, now: datetime
                ) -> Iterator[tuple[list[dict], _History, list[dict]]]:
    """Tickets in id (= time) order, volume growing over the two years, in chunks; with the
    questions asked meanwhile (two per ticket)."""
    rng = random.Random(2)
    ids = {"event": 0, "message": 0, "outbox": 0}
    span = DAYS * 86400
    for first in range(1, plan.tickets + 1, CHUNK):
        tickets, history = [], _History(ids)
        for tid in range(first, min(plan.tickets, first + CHUNK - 1) + 1):
            created = now - timedelta(seconds=span * (1 - (tid / plan.tickets) ** 0.8) + 60)
            tickets.append(_ticket(rng, plan, tid, created, now, history))
        questions = _questions(rng, plan, 2 * first - 1, 2 * len(tickets),
                               tickets[0]["created_at"], tickets[-1]["created_at"])
        for question in questions:
            history.sent(None, question["asked_at"], question["user_ref"], "answer",
                         question["text"])
        yield tickets, history, questions


def _questions(rng: random.Random, plan: Plan, first_id: int, count: int, start: datetime,
               end: datetime) -> list[dict]:
    rows = []
    seconds = (end - start).total_seconds()
    times = sorted(start + timedelta(seconds=rng.uniform(0, seconds)) for _ in range(count))
    for qid, asked in zip(range(first_id, first_id + count), times):  # logged as asked
        decision = rng.choices(DECISIONS, [60, 25, 15])[0]
        category = rng.choice(CATEGORIES)
        question = NEEDS[category].format(industry=rng.choice(INDUSTRIES), n=rng.randint(2, 9),
                                          district=rng.choice(DISTRICTS))[:40]
        contact_id = _contact_of(rng, plan)
        rows.append({
            "id": qid, "asked_at": asked, "contact_id": contact_id,
            "channel": "telegram", "user_ref": str(6_000_000_000 + contact_id),
            "language": "zh-CN", "text": question, "normalized": question,
            "entry_id": None if decision == "no_answer" else f"{category}-{rng.randint(1, 40)}",
            "score": round(rng.uniform(0.2, 0.95), 3), "decision": decision, "mode": "lexical",
            "suggestions": None})
    return rows


def _ticket(rng: random.Random, plan: Plan, tid: int, created: datetime, now: datetime,
            history: _History) -> dict:
    age = (now - created).days
    statuses, weights = STATUSES_RECENT if age < 2 else STATUSES_MONTH if age < 30 else STATUSES_OLD
    status = rng.choices(statuses, weights)[0]
    category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
    contact_id = _contact_of(rng, plan)
    enterprise = ("enterprise", str(6_000_000_000 + contact_id), "")
    description = NEEDS[category].format(industry=rng.choice(INDUSTRIES), n=rng.randint(2, 9),
                                         district=rng.choice(DISTRICTS))
    row = {"id": tid, "contact_id": contact_id, "category": category,
           "description": description, "status": status,
           "priority": rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0],
           "origin": "human" if rng.random() < 0.3 else "intake", "assignee_id": None,
           "assignee_name": None, "department": None, "resolution": None, "context": None,
           "staff_thread_id": 100_000 + tid, "staff_card_message_id": 200_000 + tid,
           "rating": None, "created_at": created, "first_response_at": None,
           "resolved_at": None, "closed_at": None,
           "first_response_due_at": created + timedelta(days=1),
           "resolution_due_at": created + timedelta(days=5), "followup_due_at": None,
           "followup_asked_at": None, "followup_result": None, "followup_answered_at": None}
    history.event(tid, created, enterprise, "created", None, "new")
    history.message(tid, created, "in", enterprise[1:], description)
    for purpose in ("topic", "card"):
        history.sent(tid, created, "staff", purpose, description)
    history.sent(tid, created, enterprise[1], "notify", description)
    at = created
    if status != "new":
        staff_id, staff_name = rng.choice(STAFF)
        staff = ("staff", staff_id, staff_name)
        row["assignee_id"], row["assignee_name"] = staff_id, staff_name
        at = _later(rng, at, now, hours=8)
        history.event(tid, at, staff, "claimed", "new", "in_progress")
        if status != "in_progress":
            at = _later(rng, at, now, hours=4)
            row["first_response_at"] = at
            history.message(tid, at, "out", staff[1:], "您好，已收到您的需求，我们正在对接相关部门。")
            if rng.random() < 0.2:
                history.message(tid, _later(rng, at, now, hours=24), "in", enterprise[1:],
                                "好的，请问大概什么时候有结果？")
        if status == "transferred":
            row["department"] = rng.choice(["市场监管局", "人社局", "税务局", "商务局"])
            at = _later(rng, at, now, hours=24)
            history.event(tid, at, staff, "transferred", "in_progress", status, row["department"])
        if status in ("resolved", "closed", "reopened"):
            at = _later(rng, at, now, hours=72)
            row["resolved_at"] = at
            row["resolution"] = "已协助对接并给出办理建议。"
            history.event(tid, at, staff, "resolved", "waiting", "resolved", row["resolution"])
            row["followup_due_at"] = at + timedelta(days=7)
            if row["followup_due_at"] < now:
                row["followup_asked_at"] = row["followup_due_at"]
                if rng.random() < 0.7:
                    row["followup_answered_at"] = row["followup_due_at"] + timedelta(hours=5)
                    row["followup_result"] = "solved" if rng.random() < 0.85 else "unsolved"
            if rng.random() < 0.6:
                row["rating"] = rng.choices([5, 4, 3, 2, 1], [55, 25, 10, 5, 5])[0]
        if status == "closed":
            at = _later(rng, at, now, hours=168)
            row["closed_at"] = at
            history.event(tid, at, staff, "closed", "resolved", "closed")
        if status == "reopened":
            at = _later(rng, at, now, hours=48)
            row["resolved_at"] = None
            row["rating"] = None
            history.event(tid, at, enterprise, "reopened", "resolved", "reopened")
    row["updated_at"] = at
    return row


def _later(rng: random.Random, at: datetime, now: datetime, hours: float) -> datetime:
    return min(now, at + timedelta(seconds=rng.expovariate(1 / (hours * 3600))))


# ---- loading --------------------------------------------------------------------------------

def dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _schema_is_current(engine: AsyncEngine) -> bool:
    """Every table, column and index of the models exists (else the seed predates a change)."""

    def check(connection) -> bool:
        found = inspect(connection)
        names = set(found.get_table_names())
        for table in Base.metadata.tables.values():
            if table.name not in names:
                return False
            if {c.name for c in table.columns} - {c["name"] for c in found.get_columns(table.name)}:
                return False
            if {i.name for i in table.indexes} - {i["name"] for i in found.get_indexes(table.name)}:
                return False
        return True

    async with engine.connect() as connection:
        return await connection.run_sync(check)


async def _seeded(engine: AsyncEngine, plan: Plan) -> bool:
    """The seed is complete; rows the benchmark itself created are removed first."""
    async with engine.begin() as connection:
        beyond = select(Ticket.id).where(Ticket.id > plan.tickets).scalar_subquery()
        await connection.execute(delete(OutboxMessage).where(OutboxMessage.ticket_id.in_(beyond)))
        for model in (TicketEvent, TicketMessage):
            await connection.execute(delete(model).where(model.ticket_id > plan.tickets))
        await connection.execute(delete(Ticket).where(Ticket.id > plan.tickets))
        await connection.execute(delete(Contact).where(Contact.id > plan.contacts))
        tickets = await connection.scalar(select(func.count()).select_from(Ticket))
        contacts = await connection.scalar(select(func.count()).select_from(Contact))
        sent = await connection.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.ticket_id == plan.tickets))  # the last seeded ticket's notices
    return tickets == plan.tickets and contacts == plan.contacts and sent >= 3


def _rows(now: datetime, plan: Plan) -> Iterator[tuple[type, list[dict]]]:
    for contacts, profiles in contact_rows(plan, now):
        yield Contact, contacts
        yield EnterpriseProfile, profiles
    for tickets, history, questions in ticket_rows(plan, now):
        yield Ticket, tickets
        yield TicketEvent, history.events
        yield QuestionLog, questions
        yield OutboxMessage, history.outbox
        yield TicketMessage, history.messages


async def _load_postgresql(url: URL, plan: Plan) -> None:
    connection = await asyncpg.connect(dsn(url))
    try:
        async with connection.transaction():
            for model, rows in _rows(datetime.now(timezone.utc), plan):
                if not rows:
                    continue
                columns = list(rows[0])
                await connection.copy_records_to_table(
                    model.__tablename__, columns=columns,
                    records=[tuple(row[c] for c in columns) for row in rows])
            for model in (Contact, Ticket, TicketEvent, TicketMessage, QuestionLog,
                          OutboxMessage):
                table = model.__tablename__
                await connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT max(id) FROM {table}))")
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()


async def _load_sqlite(engine: AsyncEngine, plan: Plan) -> None:
    batch: list[tuple[type, list[dict]]] = []
    for model, rows in _rows(datetime.now(timezone.utc), plan):
        batch.append((model, rows))
        if model is TicketMessage or model is EnterpriseProfile:  # one transaction per chunk
            async with engine.begin() as connection:
                for table, chunk in batch:
                    if chunk:
                        await connection.execute(insert(table), chunk)
            batch = []
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()


async def _migrated(url: URL, fresh: bool) -> AsyncEngine:
    if fresh:
        await _drop(url)
    if url.get_backend_name() == "postgresql":
        await _ensure_database(url)
    engine = create_engine(url.render_as_string(hide_password=False))
    await upgrade(engine)
    return engine


async def seeded_engine(url: str, plan: Plan, reseed: bool = False
                        ) -> tuple[AsyncEngine, float | None]:
    """A migrated database holding the seed: reused when complete and current, else made
    afresh. Returns the engine and the seconds seeding took (None when reused)."""
    parsed = make_url(url)
    engine = await _migrated(parsed, fresh=reseed)
    if not reseed and await _schema_is_current(engine) and await _seeded(engine, plan):
        return engine, None
    if not reseed:  # stale or incomplete: start from an empty database
        await engine.dispose()
        engine = await _migrated(parsed, fresh=True)
    started = time.monotonic()
    if parsed.get_backend_name() == "postgresql":
        await _load_postgresql(parsed, plan)
    else:
        await _load_sqlite(engine, plan)
    return engine, time.monotonic() - started


async def _drop(url: URL) -> None:
    if url.get_backend_name() == "postgresql":
        await drop_databases(url.set(database="postgres"), url.database)
    elif url.database:
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)


async def _ensure_database(url: URL) -> None:
    server = url.set(database="postgres")
    connection = await asyncpg.connect(dsn(server))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1",
                                           url.database)
    finally:
        await connection.close()
    if not exists:
        await create_database(server, url.database)
