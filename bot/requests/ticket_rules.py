"""What a request (ticket) is allowed to be: its statuses, categories, priorities and size.

Shared by the ticket service, its views and every channel's intake (Telegram and terminal).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from storage.models import Ticket


class Status(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"  # waiting for the enterprise
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    TRANSFERRED = "transferred"


OPEN = {Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.REOPENED, Status.TRANSFERRED}
CATEGORIES = ("financing", "legal", "project", "policy", "market", "digital", "hr", "logistics",
              "other")
PRIORITIES = ("low", "normal", "high", "urgent")

# Limits of one request's intake, the same on every channel.
MAX_DESCRIPTION = 3000  # characters of description text
MAX_ATTACHMENTS = 10
MAX_FILE_BYTES = 20 * 1024 * 1024  # what a Telegram bot can download


@dataclass
class Outcome:
    """What a ticket action did: ok, or the refusal's reason and its parameters."""

    ok: bool
    reason: str = ""  # locale key suffix when not ok
    ticket: Ticket | None = None
    params: dict = field(default_factory=dict)
