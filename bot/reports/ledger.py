"""The needs ledger (台账): one row per request filed in a period, read from the database in
batches (a month of a big database never sits in memory at once).

Enterprises erased with /deleteme appear as the privacy module leaves them: no profile (blank
company, credit code, industry) and the description replaced by its marker.
"""
from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import EnterpriseProfile, Ticket, aware

from ..foundation.i18n import t
from ..foundation.periods import Period
from ..requests.ticket_views import category_label, status_label
from ..foundation.workcalendar import WorkCalendar
from .stats import FINISHED_AT, within
from .worktime import epoch, working_hours

BATCH = 1000
# Control characters (pasted from other programs) that spreadsheets cannot show.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class LedgerRow:
    """Display values, datetimes in the platform's time zone, durations in working hours."""

    number: int
    filed: datetime
    company: str
    credit_code: str
    contact_name: str
    phone: str
    industry: str
    category: str
    description: str
    status: str
    handler: str
    first_response: datetime | None
    first_response_h: float | None
    finished: datetime | None
    resolution_h: float | None
    rating: int | None
    department: str
    followup: str


def _hours(calendar: WorkCalendar, rows: Sequence, position: int) -> list[float | None]:
    """Working hours from filing to the timestamp at `position`, None where there is none."""
    filed, ends = epoch(row[1] for row in rows), epoch(row[position] for row in rows)
    known = ~np.isnan(ends)
    found: list[float | None] = [None] * len(rows)
    for index, value in zip(np.flatnonzero(known),
                            working_hours(calendar, filed[known], ends[known])):
        found[index] = round(float(value), 2)
    return found


def _row(raw, first_h: float | None, finish_h: float | None, calendar: WorkCalendar,
         lang: str) -> LedgerRow:
    (number, filed, company, credit_code, contact_name, phone, industry, category, description,
     status, handler, first_response, finished, rating, department, followup) = raw
    local = lambda value: aware(value).astimezone(calendar.tz) if value else None  # noqa: E731
    text = lambda value: CONTROL.sub("", value or "")  # noqa: E731
    return LedgerRow(
        number=number, filed=local(filed), company=text(company),
        credit_code=text(credit_code), contact_name=text(contact_name), phone=text(phone),
        industry=text(industry),
        category=category_label(category, lang), description=text(description),
        status=status_label(status, lang), handler=text(handler),
        first_response=local(first_response), first_response_h=first_h,
        finished=local(finished), resolution_h=finish_h, rating=rating,
        department=text(department),
        followup=t(f"report.followup.{followup}", lang) if followup else "")


async def ledger_rows(sessions: async_sessionmaker, period: Period, calendar: WorkCalendar,
                      lang: str = "zh-CN", batch: int = BATCH
                      ) -> AsyncIterator[list[LedgerRow]]:
    """The ledger of `period` in batches of at most `batch` rows, by request number. Each
    batch is read in a short session of its own (keyset paging), so that a long export never
    holds a connection or a transaction while the spreadsheet is being written."""
    query = (
        select(Ticket.id, Ticket.created_at, EnterpriseProfile.company_name,
               EnterpriseProfile.credit_code, EnterpriseProfile.contact_name,
               EnterpriseProfile.phone, EnterpriseProfile.industry, Ticket.category,
               Ticket.description, Ticket.status, Ticket.assignee_name,
               Ticket.first_response_at, FINISHED_AT, Ticket.rating, Ticket.department,
               Ticket.followup_result)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.contact_id == Ticket.contact_id)
        .where(within(Ticket.created_at, period))
        .order_by(Ticket.id)
        .limit(batch))
    # From the period's first request to its last, not from #1 or to the newest: at 1,000,000
    # requests the page after a month's last one read half the table to find nothing
    # (bench/db_bench.py ledger, EXPLAIN).
    async with sessions() as session:
        first_id, last_id = (await session.execute(select(
            func.min(Ticket.id), func.max(Ticket.id)).where(
            within(Ticket.created_at, period)))).one()
    if first_id is None:
        return
    query = query.where(Ticket.id <= last_id)
    last = first_id - 1
    while last < last_id:
        async with sessions() as session:
            rows = (await session.execute(query.where(Ticket.id > last))).all()
        if not rows:
            return
        first, finish = _hours(calendar, rows, 11), _hours(calendar, rows, 12)
        yield [_row(raw, f, r, calendar, lang) for raw, f, r in zip(rows, first, finish)]
        last = rows[-1][0]
