"""The weekly knowledge-base reminder to the staff group (issue 17).

Once per local week (Monday to Sunday in `calendar.timezone`), at the scheduler's first check in
working time, the freshness list goes to the staff group through the outbox if an answer's
policy ends within `kb_status.WARN_DAYS`. The post is its own record: an outbox row of purpose
`kb_status` written since the week began means this week's list went out, across restarts and a
change of leader (only the leader runs the scheduler). The week found done is also remembered in
`services.extras`, so a process reads the outbox for it once a week.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select

from storage.models import OutboxMessage

from ..answering import kb_status
from ..delivery.outbox import enqueue
from ..delivery.outgoing import STAFF_CHAT, Outgoing
from ..foundation.workcalendar import WorkCalendar

PURPOSE = "kb_status"
DONE = "kb_status_week"  # services.extras: the start of the last week known to be posted
LANG = "zh-CN"


def week_start(now: datetime, calendar: WorkCalendar) -> datetime:
    """Monday 00:00 of `now`'s local week, in UTC."""
    local = now.astimezone(calendar.tz).date()
    monday = datetime.combine(local - timedelta(days=local.weekday()), time(), calendar.tz)
    return monday.astimezone(timezone.utc)


def working(now: datetime, calendar: WorkCalendar) -> bool:
    local = now.astimezone(calendar.tz)
    return any(start <= local < end for start, end in calendar.windows(local.date()))


async def post_kb_status(services, now: datetime) -> int:
    """Write this week's post if it is due and not written yet; returns 1 when written.
    `services` is the scheduler's view of the services container."""
    calendar = services.calendar
    start = week_start(now, calendar)
    if services.extras.get(DONE) == start or not working(now, calendar):
        return 0
    found = kb_status.report(services.knowledge.kb, now.astimezone(calendar.tz).date())
    text = kb_status.weekly_text(found, LANG)
    if text is None:
        return 0
    async with services.sessions.begin() as session:
        posted = await session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.purpose == PURPOSE, OutboxMessage.created_at >= start).limit(1))
        if posted is None:
            enqueue(session, STAFF_CHAT, Outgoing(text=text), PURPOSE).created_at = now
    services.extras[DONE] = start
    return 0 if posted is not None else 1
