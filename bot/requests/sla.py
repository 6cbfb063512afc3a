"""Service-level targets of a request, counted in working time, and its follow-up visit (回访).

A request's first response and resolution are due a number of working hours after it is filed
(the resolution target restarts when it is reopened); staff are reminded shortly before a target
and supervisors alerted once it is missed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from storage.models import Ticket, aware

from ..foundation.settings import CalendarSettings, SlaSettings
from .ticket_rules import OPEN
from ..foundation.workcalendar import WorkCalendar


class Alert(StrEnum):
    REMIND = "remind"
    ESCALATE = "escalate"


@dataclass(frozen=True)
class Target:
    """One target and the ticket columns that track it."""

    name: str  # first_response or resolution
    due: str
    reminded: str
    escalated: str

    def met(self, ticket: Ticket) -> bool:
        """The target no longer runs: answered (first response) or no longer open."""
        if ticket.status not in OPEN:
            return True
        return self.name == "first_response" and ticket.first_response_at is not None


FIRST_RESPONSE = Target("first_response", "first_response_due_at", "first_reminded_at",
                        "first_escalated_at")
RESOLUTION = Target("resolution", "resolution_due_at", "resolution_reminded_at",
                    "resolution_escalated_at")
TARGETS = (FIRST_RESPONSE, RESOLUTION)


class SlaPolicy:
    def __init__(self, calendar: WorkCalendar, settings: SlaSettings) -> None:
        self.calendar = calendar
        self.settings = settings

    @classmethod
    def default(cls) -> "SlaPolicy":
        return cls(WorkCalendar(CalendarSettings()), SlaSettings())

    def start(self, ticket: Ticket, now: datetime) -> None:
        """A new request: both targets run from `now`."""
        ticket.first_response_due_at = self._after(now, self.settings.first_response_hours)
        self.restart_resolution(ticket, now)

    def restart_resolution(self, ticket: Ticket, now: datetime) -> None:
        """Filed or reopened: the resolution target runs from `now`, its alerts not yet sent."""
        ticket.resolution_due_at = self._after(now, self.settings.resolution_hours)
        ticket.resolution_reminded_at = None
        ticket.resolution_escalated_at = None

    def followup_due(self, resolved_at: datetime) -> datetime | None:
        """`followup_days` after the resolution, at the next working moment (None: no visits)."""
        if not self.settings.followup_days:
            return None
        return self.calendar.add_working_time(
            resolved_at + timedelta(days=self.settings.followup_days), 0).astimezone(timezone.utc)

    def _after(self, now: datetime, hours: float) -> datetime:
        """`hours` of working time after `now`, in UTC (as everything is stored)."""
        return self.calendar.add_working_time(now, hours * 3600).astimezone(timezone.utc)

    def left(self, due: datetime, now: datetime) -> float:
        """Working seconds from `now` until `due` (0 once it has passed)."""
        return self.calendar.working_seconds(now, due)

    def alert(self, ticket: Ticket, target: Target, now: datetime) -> Alert | None:
        """The alert this target calls for at `now`, if it was not sent yet."""
        due = getattr(ticket, target.due)
        if due is None or target.met(ticket) or getattr(ticket, target.escalated) is not None:
            return None
        due = aware(due)
        if now >= due:
            return Alert.ESCALATE
        remind_s = self.settings.remind_before_minutes * 60
        if (remind_s and getattr(ticket, target.reminded) is None
                and self.left(due, now) <= remind_s):
            return Alert.REMIND
        return None
