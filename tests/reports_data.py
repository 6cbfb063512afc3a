"""A seeded month (November 2026) for the report tests, with every figure worked out by hand.

Working calendar: Monday to Friday, 09:00-12:00 and 13:30-17:30 (7 h a day), Asia/Shanghai.
Nine requests are filed in the month (one just after midnight on its first day, one just
before midnight on its last), two outside it; one enterprise is erased with /deleteme.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.app.privacy import erase_contact
from storage.models import Contact, EnterpriseProfile, QuestionLog, Ticket

TZ = ZoneInfo("Asia/Shanghai")
WANG, LI = ("7001", "王工"), ("7002", "李工<2>")
FORMULA = '=HYPERLINK("http://example.invalid","点我")'


def local(text: str) -> datetime:
    """`11-09 10:00` (2026, platform time) as the UTC instant the database stores."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=TZ).astimezone(
        timezone.utc)


@dataclass(frozen=True)
class Seeded:
    contacts: dict[str, int]
    tickets: dict[str, int]  # T0 … T8 (November), X1, X2 (outside)


COMPANIES = {
    "c1": ("甲科技有限公司", "91350100M000100Y43", "制造业"),
    "c2": ("乙软件有限公司", "91350100M000200Y21", "软件和信息技术服务"),
    "c3": ("丙商贸有限公司", "91350100M000300Y05", "批发零售"),
}

# name: contact, category, filed, status, assignee, first response, resolved, closed, rating,
# department, follow-up result, description
TICKETS = {
    "T0": ("c1", "other", "11-01 00:10", "waiting", LI, "11-02 10:00", None, None, None,
           None, None, "周日凌晨提交的咨询"),
    "T1": ("c1", "financing", "11-06 16:30", "resolved", WANG, "11-09 09:30", "11-10 10:00",
           None, 5, None, "solved", "申请科技贷款"),
    "T2": ("c1", "legal", "11-09 10:00", "closed", LI, "11-09 11:00", None, "11-09 14:30",
           None, None, None, "合同纠纷咨询"),
    "T3": ("c2", "legal", "11-11 09:00", "transferred", LI, "11-11 13:30", None, None, None,
           "市市场监管局", None, FORMULA),
    "T4": ("c2", "project", "11-12 15:00", "new", None, None, None, None, None, None, None,
           "高企认定\x0b材料清单"),
    "T5": ("c3", "hr", "11-16 09:00", "resolved", WANG, "11-16 09:10", "11-17 09:00", None,
           2, None, "unsolved", "劳动合同怎么签"),
    "T6": ("c1", "policy", "11-21 10:00", "resolved", WANG, "11-23 09:00", "11-23 12:00",
           None, 4, None, None, "周六提交的政策咨询"),
    "T7": ("c2", "digital", "11-25 09:00", "in_progress", WANG, "11-25 11:00", None, None,
           None, None, None, "上云补贴"),
    "T8": ("c2", "market", "11-30 23:30", "new", None, None, None, None, None, None, None,
           "参加展会"),
    "X1": ("c1", "financing", "10-31 23:50", "resolved", WANG, "11-02 09:00", "11-02 10:00",
           None, 5, None, None, "十月的需求"),
    "X2": ("c2", "legal", "12-01 00:00", "new", None, None, None, None, None, None, None,
           "十二月的需求"),
}

# user, decision, entry, asked
QUESTIONS = [
    ("601", "answered", "labor-probation-length", "11-03 10:00"),
    ("601", "answered", "labor-probation-length", "11-20 10:00"),
    ("604", "suggested", "labor-double-wage", "11-05 10:00"),
    ("604", "no_answer", "debt-limitation-period", "11-06 10:00"),
    ("603", "answered", "debt-limitation-period", "11-16 08:00"),  # erased later
    ("605", "answered", "projects-tech-sme", "10-31 23:00"),  # October
]

# The figures of November 2026 (hours are working hours).
EXPECTED = {
    "enterprises": 4,  # c1, c2, c3 filed requests; c4 only asked; c5 asked in October
    "logged": 9,
    "resolved": 4,  # T1, T5, T6 resolved, T2 closed
    "by_category": {"legal": 2, "digital": 1, "financing": 1, "hr": 1, "market": 1,
                    "other": 1, "policy": 1, "project": 1},
    "by_status": {"waiting": 1, "resolved": 3, "closed": 1, "transferred": 1, "new": 2,
                  "in_progress": 1},
    # T0 1, T1 1.5 (Friday 16:30 → Monday 09:30), T2 1, T3 3, T5 1/6, T6 0 (Saturday), T7 2
    "first_response_h": 1.0,
    # T1 9 (Friday 16:30 → Tuesday 10:00), T2 3 (closed), T5 7, T6 3
    "resolution_h": 5.0,
    "ratings": {2: 1, 4: 1, 5: 1},
    "staff": {
        "7001": dict(name="王工", handled=4, resolved=3, first_response_h=(1 / 6 + 1.5) / 2,
                     resolution_h=7.0, rating=11 / 3),
        "7002": dict(name="李工<2>", handled=3, resolved=1, first_response_h=1.0,
                     resolution_h=3.0, rating=None),
    },
    "buckets": [("11-01", 1, 0), ("11-02", 1, 1), ("11-09", 3, 1), ("11-16", 2, 2),
                ("11-23", 1, 0), ("11-30", 1, 0)],
    "questions": {"answered": 3, "suggested": 1, "no_answer": 1},
    "topics": {"labor-probation-length": 2, "debt-limitation-period": 1,
               "labor-double-wage": 1},
}


async def seed(sessions: async_sessionmaker) -> Seeded:
    async with sessions.begin() as session:
        contacts, by_external = {}, {}
        for name, external in (("c1", "601"), ("c2", "602"), ("c3", "603"), ("c4", "604"),
                               ("c5", "605")):
            contact = Contact(channel="telegram", external_id=external, chat_id=external,
                              display_name=f"用户{external}")
            session.add(contact)
            await session.flush()
            contacts[name] = contact.id
            by_external[external] = contact.id
            if name in COMPANIES:
                company, code, industry = COMPANIES[name]
                session.add(EnterpriseProfile(contact_id=contact.id, company_name=company,
                                              credit_code=code, industry=industry,
                                              contact_name="联系人", phone="13800138000"))
        tickets = {}
        for name, (who, category, filed, status, assignee, first, resolved, closed, rating,
                   department, followup, description) in TICKETS.items():
            ticket = Ticket(
                contact_id=contacts[who], category=category, description=description,
                status=status, origin="intake", created_at=local(filed),
                updated_at=local(filed), assignee_id=assignee[0] if assignee else None,
                assignee_name=assignee[1] if assignee else None,
                first_response_at=local(first) if first else None,
                resolved_at=local(resolved) if resolved else None,
                closed_at=local(closed) if closed else None, rating=rating,
                department=department, followup_result=followup)
            session.add(ticket)
            await session.flush()
            tickets[name] = ticket.id
        for user, decision, entry, asked in QUESTIONS:
            session.add(QuestionLog(asked_at=local(asked), channel="telegram", user_ref=user,
                                    contact_id=by_external[user],
                                    language="zh-CN", text="问题", normalized="问题",
                                    entry_id=entry, score=0.7, decision=decision,
                                    mode="lexical"))
    await erase_contact(sessions, contacts["c3"])
    return Seeded(contacts, tickets)
