"""Staff commands of service events: `/event …` (supervisors) creates one and invites its
segment; `/event_roster N` lists the sign-ups; `/attended N 1 3 …` marks attendance."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..delivery.outgoing import esc
from ..foundation.i18n import t
from ..outreach.events import EventError, Events, parse_event
from ..requests.staff_directory import Actor, Role
from .command_types import CommandResult, StaffCommand, number

if TYPE_CHECKING:
    from .services import Services

LANG = "zh-CN"


def events(services: "Services") -> Events:
    return Events(services.sessions, services.calendar.tz, services.clock,
                  services.postman.notify)


async def _event(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    try:
        data = parse_event(args[0] if args else "", services.clock(), services.calendar.tz)
    except EventError as exc:
        return CommandResult(t(f"event.err.{exc.reason}", LANG, **exc.params) + "\n"
                             + t("event.usage", LANG), ok=False)
    event, invited = await events(services).create(actor, data)
    return CommandResult(t("event.created", LANG, id=event.id, title=esc(event.title),
                           invited=invited, segment=data.segment.describe(LANG),
                           capacity=event.capacity))


async def _roster(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    event_id = number(args[0]) if len(args) == 1 else None
    if event_id is None:
        return CommandResult(t("event.usage_roster", LANG), ok=False)
    event, rows = await events(services).roster(event_id)
    if event is None:
        return CommandResult(t("event.err.missing", LANG, id=event_id), ok=False)
    registered = [row for row in rows if row[0].status == "registered"]
    waiting = [row for row in rows if row[0].status == "waiting"]
    name = lambda contact, company: esc(company or contact.display_name or contact.external_id)  # noqa: E731
    lines = [t("event.roster", LANG, id=event.id, title=esc(event.title),
               registered=len(registered), capacity=event.capacity, waiting=len(waiting),
               attended=sum(1 for signup, *_ in registered if signup.attended))]
    lines += [f"{n}. {name(contact, company)}{' ✅' if signup.attended else ''}"
              for n, (signup, contact, company) in enumerate(registered, 1)]
    if waiting:
        lines.append(t("event.waiting_list", LANG))
        lines += [f"· {name(contact, company)}" for _, contact, company in waiting]
    return CommandResult("\n".join(lines))


async def _attended(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    event_id = number(args[0]) if args else None
    numbers = [int(word) for word in args[1:] if word.isdigit()]
    if event_id is None or len(numbers) != len(args) - 1:
        return CommandResult(t("event.usage_attended", LANG), ok=False)
    outcome, count = await events(services).mark_attended(event_id, numbers)
    if outcome == "missing":
        return CommandResult(t("event.err.missing", LANG, id=event_id), ok=False)
    if outcome == "bad_numbers":
        return CommandResult(t("event.err.numbers", LANG, count=count), ok=False)
    return CommandResult(t("event.marked", LANG, id=event_id, count=count))


COMMANDS = {
    "event": StaffCommand("event", Role.SUPERVISOR, _event, raw=True),
    "event_roster": StaffCommand("event_roster", Role.AGENT, _roster),
    "attended": StaffCommand("attended", Role.AGENT, _attended),
}
