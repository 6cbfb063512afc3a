"""The statistics of a period, computed in the database.

Every figure about requests is about the requests *filed* in the period (a cohort), in their
current state: 解决率 (resolution rate) = requests of the period now resolved or closed ÷
requests of the period. Durations are medians in working hours (the working calendar), from
filing to the first staff answer, and from filing to resolution (or closing). Counts come from
SQL aggregates; only the durations need every request's three timestamps, fetched as arrays.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
from sqlalchemy import and_, case, func, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import QuestionLog, Ticket

from ..foundation.periods import Period
from ..requests.ticket_rules import Status
from ..foundation.workcalendar import WorkCalendar
from .worktime import epoch_array, epoch_list, working_hours

DONE = (Status.RESOLVED, Status.CLOSED)
IS_DONE = case((Ticket.status.in_(DONE), 1), else_=0)
# When a done request was finished: resolved, or closed without a resolution.
FINISHED_AT = case((Ticket.status.in_(DONE),
                    func.coalesce(Ticket.resolved_at, Ticket.closed_at)))
MAX_WEEKS = 16  # longer periods are charted by month
TOPIC_DECISIONS = ("answered", "suggested")  # the question was about the matched entry


@dataclass
class Bucket:
    """A week (or month) of the period: requests filed in it and how many are done."""

    start: date
    label: str
    logged: int = 0
    resolved: int = 0

    @property
    def rate(self) -> float | None:
        return self.resolved / self.logged if self.logged else None


@dataclass
class StaffFigures:
    assignee_id: str
    name: str
    handled: int
    resolved: int
    rating: float | None
    first_response_h: float | None = None
    resolution_h: float | None = None


@dataclass
class Stats:
    period: Period
    enterprises: int = 0
    logged: int = 0
    resolved: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    ratings: dict[int, int] = field(default_factory=dict)  # score 1-5 → requests
    first_response_h: float | None = None  # median, working hours
    resolution_h: float | None = None
    staff: list[StaffFigures] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    by_month: bool = False  # buckets are months (long periods), not weeks
    questions: dict[str, int] = field(default_factory=dict)  # decision → questions
    topics: dict[str, int] = field(default_factory=dict)  # entry id → questions about it

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.logged if self.logged else None

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def rating_average(self) -> float | None:
        rated = self.rated
        return sum(s * n for s, n in self.ratings.items()) / rated if rated else None


def _utc(period: Period) -> tuple[datetime, datetime]:
    """Bounds as UTC: SQLite compares the stored UTC text, not instants."""
    return period.start.astimezone(timezone.utc), period.end.astimezone(timezone.utc)


def within(column, period: Period):
    start, end = _utc(period)
    return and_(column >= start, column < end)


def bucket_starts(period: Period) -> tuple[list[date], bool]:
    """The first day of every week (Monday) or month touching the period, the first one
    clipped to the period's start; and whether they are months."""
    first, last = period.first_day, period.last_day
    if (last - first).days < MAX_WEEKS * 7:
        starts = [first]
        monday = first - timedelta(days=first.weekday()) + timedelta(days=7)
        while monday <= last:
            starts.append(monday)
            monday += timedelta(days=7)
        return starts, False
    starts, month = [first], first.replace(day=1)
    while True:
        month = (month + timedelta(days=32)).replace(day=1)
        if month > last:
            return starts, True
        starts.append(month)


async def _tickets(session: AsyncSession, stats: Stats) -> None:
    rows = await session.execute(
        select(Ticket.category, Ticket.status, Ticket.rating, func.count())
        .where(within(Ticket.created_at, stats.period))
        .group_by(Ticket.category, Ticket.status, Ticket.rating))
    by_category: dict[str, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    ratings: dict[int, int] = defaultdict(int)
    for category, status, rating, count in rows:
        by_category[category] += count
        by_status[status] += count
        if rating is not None:
            ratings[rating] += count
    stats.by_category = dict(sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])))
    order = {status: n for n, status in enumerate(Status)}
    stats.by_status = dict(sorted(by_status.items(), key=lambda kv: order.get(kv[0], len(order))))
    stats.ratings = dict(sorted(ratings.items()))
    stats.logged = sum(by_status.values())
    stats.resolved = sum(by_status.get(s, 0) for s in DONE)


async def _buckets(session: AsyncSession, stats: Stats) -> None:
    tz = stats.period.start.tzinfo
    starts, stats.by_month = bucket_starts(stats.period)
    stats.buckets = [Bucket(day, day.strftime("%Y-%m" if stats.by_month else "%m-%d"))
                     for day in starts]
    ends = [datetime.combine(day, time(), tz) for day in starts[1:]] + [stats.period.end]
    index = case(*[(Ticket.created_at < end.astimezone(timezone.utc), n)
                   for n, end in enumerate(ends)], else_=len(ends) - 1)
    rows = select(index.label("bucket"), IS_DONE.label("done")).where(
        within(Ticket.created_at, stats.period)).subquery()
    for bucket, logged, resolved in await session.execute(
            select(rows.c.bucket, func.count(), func.sum(rows.c.done)).group_by(rows.c.bucket)):
        stats.buckets[bucket].logged = logged
        stats.buckets[bucket].resolved = resolved or 0


async def _staff(session: AsyncSession, stats: Stats) -> None:
    rows = await session.execute(
        select(Ticket.assignee_id, func.max(Ticket.assignee_name), func.count(),
               func.sum(IS_DONE), func.avg(Ticket.rating))
        .where(within(Ticket.created_at, stats.period), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id))
    stats.staff = sorted(
        (StaffFigures(str(assignee), name or str(assignee), handled, resolved or 0,
                      float(rating) if rating is not None else None)
         for assignee, name, handled, resolved, rating in rows),
        key=lambda s: (-s.handled, s.name))


async def _durations(session: AsyncSession, stats: Stats, calendar: WorkCalendar
                     ) -> dict[str, dict[str, float]]:
    """Medians need every duration: one row per staff member with the timestamps of their
    requests as arrays, measured in working time by numpy. Returns each staff member's."""
    rows = await session.execute(
        select(Ticket.assignee_id, epoch_list(Ticket.created_at),
               epoch_list(Ticket.first_response_at), epoch_list(FINISHED_AT))
        .where(within(Ticket.created_at, stats.period))
        .group_by(Ticket.assignee_id))
    groups = [(assignee, *map(epoch_array, arrays)) for assignee, *arrays in rows]
    joined = lambda n: np.concatenate([g[n] for g in groups] or [np.zeros(0)])  # noqa: E731
    filed = joined(1)
    owner = np.repeat(np.arange(len(groups)), [len(g[1]) for g in groups])
    per_staff: dict[str, dict[str, float]] = defaultdict(dict)
    for attribute, position in (("first_response_h", 2), ("resolution_h", 3)):
        ends = joined(position)
        known = ~np.isnan(ends)
        hours, owners = working_hours(calendar, filed[known], ends[known]), owner[known]
        setattr(stats, attribute, float(np.median(hours)) if len(hours) else None)
        for index, (assignee, *_) in enumerate(groups):
            mine = hours[owners == index]
            if len(mine) and assignee is not None:
                per_staff[str(assignee)][attribute] = float(np.median(mine))
    return per_staff


async def _enterprises(session: AsyncSession, stats: Stats) -> None:
    filed = select(Ticket.contact_id.label("contact")).where(
        within(Ticket.created_at, stats.period))
    # Askers by the contact id logged with their questions: matching a month of questions to
    # the contacts by channel and user id was most of the statistics' time at volume.
    asked = select(QuestionLog.contact_id).where(
        within(QuestionLog.asked_at, stats.period), QuestionLog.contact_id.is_not(None))
    stats.enterprises = await session.scalar(
        select(func.count()).select_from(union(filed, asked).subquery())) or 0


async def _questions(session: AsyncSession, stats: Stats) -> None:
    in_period = within(QuestionLog.asked_at, stats.period)
    stats.questions = dict((await session.execute(
        select(QuestionLog.decision, func.count()).where(in_period)
        .group_by(QuestionLog.decision))).all())
    topics = await session.execute(
        select(QuestionLog.entry_id, func.count()).where(
            in_period, QuestionLog.decision.in_(TOPIC_DECISIONS),
            QuestionLog.entry_id.is_not(None))
        .group_by(QuestionLog.entry_id))
    stats.topics = dict(sorted(topics.all(), key=lambda kv: (-kv[1], kv[0])))


async def collect(sessions: async_sessionmaker, period: Period,
                  calendar: WorkCalendar) -> Stats:
    """All the statistics of `period`. The queries are independent: each runs in a session
    of its own, at the same time (PostgreSQL works on them in parallel)."""
    stats = Stats(period)

    async def run(part, *args):
        async with sessions() as session:
            if session.bind.dialect.name == "postgresql":
                # The enterprises query hashes a month of contact ids (~14 MB at 1,000,000
                # requests, EXPLAIN ANALYZE): with the default 4 MB work_mem it spilled to disk.
                await session.execute(text("SET LOCAL work_mem = '64MB'"))
            return await part(session, stats, *args)

    *_, times = await asyncio.gather(run(_tickets), run(_buckets), run(_staff),
                                     run(_enterprises), run(_questions),
                                     run(_durations, calendar))
    for figures in stats.staff:
        for attribute, value in times.get(figures.assignee_id, {}).items():
            setattr(figures, attribute, value)
    return stats
