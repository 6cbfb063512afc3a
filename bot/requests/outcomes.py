"""Outcomes of requests — what the platform reports, not tickets: credit granted, projects
approved, amounts recovered, or a short result — by the outcome kind of the request's category
(config `outcomes`). Typed by staff as `键=值` words after `/outcome N`; amounts in 万元.

Who may: staff; an agent only on requests unassigned or their own (as any ticket action).
Bad input (an unknown programme, a negative or absurd amount) is refused, nothing recorded.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.models import Ticket, TicketEvent, TicketOutcome
from storage.outcomes import save_outcome

from ..foundation.refusal import Refusal
from ..foundation.settings import OutcomesSettings
from .staff_directory import Actor, Role, StaffDirectory
from .ticket_rules import Outcome

RESULTS = ("获批", "未获批", "待定")
MAX_TEXT = 200
YUAN_PER_WAN = 10000
# Words staff type (Chinese first) → field.
KEYS = {"机构": "institution", "银行": "institution", "institution": "institution",
        "授信": "credit", "credit": "credit", "放款": "disbursed", "disbursed": "disbursed",
        "项目": "programme", "programme": "programme", "级别": "level", "level": "level",
        "结果": "result", "result": "result", "挽回": "recovered", "recovered": "recovered"}
# Fields of each kind: (required, optional).
FIELDS = {"financing": (("institution", "credit"), ("disbursed",)),
          "project": (("programme", "level", "result"), ()),
          "legal": (("recovered",), ()),
          "other": (("result",), ())}


class OutcomeError(Refusal):
    """`reason` is a locale key under `platform.outcome.err`, with `params`."""


def amount_yuan(text: str, max_wan: float) -> int:
    """`500`, `500万`, `1.25万元` (万元) → whole yuan; negative, absurd or unreadable refused."""
    number = text.strip().removesuffix("元").removesuffix("万")
    try:
        wan = Decimal(number)
    except InvalidOperation:
        raise OutcomeError("amount", value=text) from None
    if not wan.is_finite():
        raise OutcomeError("amount", value=text)
    if wan < 0:
        raise OutcomeError("negative", value=text)
    if wan > Decimal(str(max_wan)):
        raise OutcomeError("absurd", value=text, max=f"{max_wan:,.0f}")
    yuan = wan * YUAN_PER_WAN
    if yuan != yuan.to_integral_value():
        raise OutcomeError("amount", value=text)
    return int(yuan)


@dataclass(frozen=True)
class OutcomeInput:
    kind: str
    values: dict  # institution, credit_yuan, disbursed_yuan, programme, level, result, …

    @property
    def subject(self) -> str:
        """What one request may have several of: programmes, lending institutions."""
        if self.kind == "project":
            return self.values["programme"]
        if self.kind == "financing":
            return self.values["institution"]
        return ""


def parse_outcome(kind: str, words: list[str], config: OutcomesSettings) -> OutcomeInput:
    required, optional = FIELDS[kind]
    typed: dict[str, str] = {}
    free: list[str] = []
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.lower() in KEYS:
            typed[KEYS[key.lower()]] = value.strip()
        elif sep:
            raise OutcomeError("key", key=key)
        else:
            free.append(word)
    if kind == "other" and free and "result" not in typed:
        typed["result"] = " ".join(free)
        free = []
    unknown = set(typed) - set(required) - set(optional)
    if free or unknown or any(not typed.get(name) for name in required):
        raise OutcomeError(f"usage_{kind}")
    values: dict = {}
    for name, value in typed.items():
        if name in ("credit", "disbursed", "recovered"):
            values[f"{name}_yuan"] = amount_yuan(value, config.max_amount_wan)
        elif len(value) > MAX_TEXT:
            raise OutcomeError("text", max=MAX_TEXT)
        else:
            values[name] = value
    if kind == "project":
        if values["programme"] not in config.programmes:
            raise OutcomeError("programme", value=values["programme"],
                               choices="、".join(config.programmes))
        if values["level"] not in config.levels:
            raise OutcomeError("level", value=values["level"], choices="、".join(config.levels))
        if values["result"] not in RESULTS:
            raise OutcomeError("result", value=values["result"], choices="、".join(RESULTS))
    if kind == "financing" and values.get("disbursed_yuan", 0) > values["credit_yuan"]:
        raise OutcomeError("disbursed")
    return OutcomeInput(kind, values)


class OutcomeService:
    def __init__(self, sessions: async_sessionmaker, staff: StaffDirectory,
                 config: OutcomesSettings, clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.staff = staff
        self.config = config
        self.clock = clock

    async def kind_of_ticket(self, ticket_id: int) -> str | None:
        async with self.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            return self.config.kind_of(ticket.category) if ticket else None

    async def add(self, actor: Actor, ticket_id: int, words: list[str]
                  ) -> tuple[Outcome, TicketOutcome | None]:
        """Parse and record an outcome of request `ticket_id` (its event in the same
        transaction); the refusal's reason is a locale key."""
        if not self.staff.may(actor, "outcome"):
            return Outcome(False, "refuse.forbidden"), None
        async with self.sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                return Outcome(False, "refuse.no_ticket", params={"id": ticket_id}), None
            if (ticket.assignee_id not in (None, actor.id) and actor.role is not None
                    and actor.role < Role.SUPERVISOR):
                return Outcome(False, "refuse.taken", ticket,
                               {"id": ticket.id, "name": ticket.assignee_name}), None
            kind = self.config.kind_of(ticket.category)
            try:
                data = parse_outcome(kind, words, self.config)
            except OutcomeError as exc:
                return Outcome(False, f"platform.outcome.err.{exc.reason}", ticket,
                               {"id": ticket.id, **exc.params}), None
            saved, created = await save_outcome(session, ticket.id, kind, data.subject,
                                                data.values, actor.id, actor.name,
                                                self.clock())
            session.add(TicketEvent(ticket_id=ticket.id, at=self.clock(), actor_kind=actor.kind,
                                    actor_id=actor.id, actor_name=actor.name, action="outcome",
                                    from_status=ticket.status, to_status=ticket.status,
                                    detail=" ".join(words)[:500]))
        return Outcome(True, ticket=ticket, params={"id": ticket.id, "new": created}), saved
