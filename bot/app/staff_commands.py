"""Staff commands as text in, `CommandResult` out: shared by the Telegram staff group and the
terminal. Every command is checked against its role and written to the audit log."""
from __future__ import annotations

import asyncio
import logging

from ..requests import audit
from .broadcast_commands import COMMANDS as BROADCAST_COMMANDS
from .command_types import CommandResult, StaffCommand, number
from .event_commands import COMMANDS as EVENT_COMMANDS
from .survey_commands import COMMANDS as SURVEY_COMMANDS
from .platform_commands import COMMANDS as PLATFORM_COMMANDS, outcome_question
from .kb_status_commands import COMMANDS as KB_STATUS_COMMANDS
from ..foundation.i18n import t
from ..delivery.outgoing import esc
from .report_commands import COMMANDS as REPORT_COMMANDS
from .review_commands import COMMANDS as REVIEW_COMMANDS
from .services import Services
from .ticket_details import details
from ..requests.sla_views import local
from ..requests.staff_directory import Actor, Role
from ..requests.ticket_views import category_label, one_line, status_label
from ..requests.queue_filter import QueueFilterError, parse_queue_filter
from ..requests.tickets import Content, Outcome

log = logging.getLogger(__name__)
LANG = "zh-CN"
QUEUE_LIMIT = 30  # requests a filtered /queue or /find lists
NEEDS_TEXT = {"assign", "reply", "note", "transfer", "priority", "category"}
DONE = {"take": "done.claimed", "claim": "done.claimed", "assign": "done.assigned",
        "reply": "done.replied", "note": "done.noted", "resolve": "done.resolved",
        "reopen": "done.reopened", "close": "done.closed", "transfer": "done.transferred",
        "priority": "done.priority", "category": "done.category"}


def outcome_text(outcome: Outcome, action: str) -> str:
    if outcome.ok:
        return t(DONE[action], LANG, **outcome.params)
    return t(f"refuse.{outcome.reason}", LANG, **outcome.params)


async def ticket_action(services: Services, actor: Actor, action: str, ticket_id: int,
                        text: str = "") -> Outcome:
    """One staff action on a ticket (also behind the card buttons)."""
    tickets = services.tickets
    run = {
        "take": lambda: tickets.claim(ticket_id, actor),
        "claim": lambda: tickets.claim(ticket_id, actor),
        "assign": lambda: tickets.assign(ticket_id, actor, text.strip().lstrip("@")),
        "reply": lambda: tickets.reply(ticket_id, actor, Content("text", text)),
        "note": lambda: tickets.note(ticket_id, actor, text),
        "resolve": lambda: tickets.resolve(ticket_id, actor, text),
        "reopen": lambda: tickets.reopen(ticket_id, actor),
        "close": lambda: tickets.close(ticket_id, actor),
        "transfer": lambda: tickets.transfer(ticket_id, actor, text),
        "priority": lambda: tickets.set_priority(ticket_id, actor, text.strip()),
        "category": lambda: tickets.set_category(ticket_id, actor, text.strip()),
    }[action]
    return await run()


def _ticket_command(name: str):
    async def run(services: Services, actor: Actor, args: list[str]) -> CommandResult:
        ticket_id = number(args[0]) if args else None
        text = " ".join(args[1:])
        if ticket_id is None or (name in NEEDS_TEXT and not text.strip()):
            return CommandResult(t(f"usage.{name}", LANG), ok=False)
        if name == "ticket":
            if text.strip() not in ("", "all", "全部"):
                return CommandResult(t("usage.ticket", LANG), ok=False)
            return CommandResult(await details(services, ticket_id, everything=bool(text)),
                                 ticket_id=ticket_id)
        outcome = await ticket_action(services, actor, name, ticket_id, text)
        reply = outcome_text(outcome, name)
        if name == "resolve" and outcome.ok:  # resolving asks for the outcome
            reply += "\n" + outcome_question(services, outcome.ticket)
        return CommandResult(reply, ticket_id=ticket_id, ok=outcome.ok)
    return run


async def _queue(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    """`/queue [状态] [类别] [@负责人|未认领] [期间]`: open requests, or those the words name."""
    tz = services.calendar.tz
    try:
        only = parse_queue_filter(args, tz, services.clock().astimezone(tz).date())
    except QueueFilterError as error:
        return CommandResult(t("usage.queue", LANG, word=esc(str(error))), ok=False)
    if only.is_default:
        return CommandResult(listing(await services.tickets.queue(), "staff.queue"))
    tickets = await services.tickets.queue(QUEUE_LIMIT, only)
    return CommandResult(listing(tickets, "staff.queue_filtered", filters=esc(" ".join(args)),
                                 limit=QUEUE_LIMIT))


async def _find(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    """`/find 关键词`: an enterprise's requests by company name or credit code."""
    words = " ".join(args).strip()
    if not words:
        return CommandResult(t("usage.find", LANG), ok=False)
    found = await services.tickets.find(words, QUEUE_LIMIT)
    if not found:
        return CommandResult(t("staff.found_none", LANG, words=esc(words)))
    tz = services.calendar.tz
    lines = [t("staff.find_line", LANG, id=tk.id, date=local(tk.created_at, tz, "%Y-%m-%d"),
               category=category_label(tk.category, LANG), status=status_label(tk.status, LANG),
               company=esc(profile.company_name or ""), text=esc(one_line(tk.description, 30)))
             for tk, profile in found]
    return CommandResult(t("staff.found", LANG, words=esc(words), count=len(found),
                           limit=QUEUE_LIMIT) + "\n" + "\n".join(lines))


async def _mine(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    return CommandResult(listing(await services.tickets.mine(actor), "staff.mine"))


async def _reload(services: Services, actor: Actor, args: list[str]) -> CommandResult:
    result = await asyncio.to_thread(services.knowledge.reload)
    if result.ok:
        return CommandResult(t("staff.reloaded", LANG, entries=result.entries))
    problems = "\n".join(esc(str(p)) for p in result.problems[:10])
    return CommandResult(t("staff.reload_failed", LANG, entries=result.entries,
                           problems=problems), ok=False)


TICKET_COMMANDS = {
    "queue": StaffCommand("queue", Role.AGENT, _queue),
    "find": StaffCommand("find", Role.AGENT, _find, raw=True),
    "mine": StaffCommand("mine", Role.AGENT, _mine),
    "reload": StaffCommand("reload", Role.SUPERVISOR, _reload),
    **{name: StaffCommand(name, Role.SUPERVISOR if name == "assign" else Role.AGENT,
                          _ticket_command(name))
       for name in ("ticket", "take", "assign", "reply", "note", "resolve", "reopen", "close",
                    "transfer", "priority", "category")},
}

# The single registry: every staff command of every channel.
REGISTRY: dict[str, StaffCommand] = {**TICKET_COMMANDS, **REPORT_COMMANDS, **BROADCAST_COMMANDS,
                                     **REVIEW_COMMANDS, **KB_STATUS_COMMANDS, **PLATFORM_COMMANDS,
                                     **EVENT_COMMANDS, **SURVEY_COMMANDS}
COMMANDS = tuple(REGISTRY)


async def run_command(services: Services, actor: Actor, name: str,
                      args: list[str]) -> CommandResult:
    """Execute `/name args…` for a staff member: role check, the command, the audit entry."""
    command = REGISTRY.get(name)
    detail = " ".join(args)
    if command is None:
        return CommandResult(t("console.staff_help", LANG), ok=False)
    if not actor.is_staff or actor.role < command.role:  # type: ignore[operator]
        await audit.record(services.sessions, actor, name, "refused", detail=detail)
        return CommandResult(t("refuse.forbidden", LANG), ok=False)
    try:
        result = await command.run(services, actor, args)
    except Exception:
        await audit.record(services.sessions, actor, name, "error", detail=detail)
        raise
    await audit.record(services.sessions, actor, name, "ok" if result.ok else "refused",
                       result.ticket_id, detail)
    return result


def listing(tickets, key: str, **params) -> str:
    if not tickets:
        return t(f"{key}_empty", LANG, **params)
    lines = [t("staff.line", LANG, id=tk.id, category=category_label(tk.category, LANG),
               status=status_label(tk.status, LANG), owner=esc(tk.assignee_name or "—"),
               priority=t(f"priority.{tk.priority}", LANG), text=esc(one_line(tk.description, 30)))
             for tk in tickets]
    return t(key, LANG, count=len(tickets), **params) + "\n" + "\n".join(lines)
