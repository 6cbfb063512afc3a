"""Staff commands as text in, text out: shared by the Telegram staff group and the terminal."""
from __future__ import annotations

import asyncio
import logging

from .i18n import t
from .messages import esc
from .services import Services
from .staff import Actor
from .ticket_views import category_label, status_label
from .tickets import Content, Outcome

log = logging.getLogger(__name__)
LANG = "zh-CN"
COMMANDS = ("queue", "mine", "ticket", "take", "assign", "reply", "note", "resolve", "reopen",
            "close", "transfer", "priority", "reload")
NEEDS_TEXT = {"assign", "reply", "note", "transfer", "priority"}
DONE = {"take": "done.claimed", "claim": "done.claimed", "assign": "done.assigned",
        "reply": "done.replied", "note": "done.noted", "resolve": "done.resolved",
        "reopen": "done.reopened", "close": "done.closed", "transfer": "done.transferred",
        "priority": "done.priority"}


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
    }[action]
    outcome = await run()
    log.info("staff %s: %s #%s → %s", actor.id, action, ticket_id, outcome.reason or "ok")
    return outcome


async def run_command(services: Services, actor: Actor, name: str, args: list[str]) -> str:
    """Execute `/name args…` for a staff member and return the reply text (HTML)."""
    if not actor.is_staff:
        log.warning("refused /%s from non-staff user %s", name, actor.id)
        return t("refuse.forbidden", LANG)
    if name == "queue":
        return listing(await services.tickets.queue(), "staff.queue")
    if name == "mine":
        return listing(await services.tickets.mine(actor), "staff.mine")
    if name == "reload":
        return await reload(services, actor)
    ticket_id = int(args[0].lstrip("#")) if args and args[0].lstrip("#").isdigit() else None
    text = " ".join(args[1:])
    if ticket_id is None or (name in NEEDS_TEXT and not text.strip()):
        return t(f"usage.{name}", LANG)
    if name == "ticket":
        return await details(services, ticket_id)
    return outcome_text(await ticket_action(services, actor, name, ticket_id, text), name)


def listing(tickets, key: str) -> str:
    if not tickets:
        return t(f"{key}_empty", LANG)
    lines = [t("staff.line", LANG, id=tk.id, category=category_label(tk.category, LANG),
               status=status_label(tk.status, LANG), owner=esc(tk.assignee_name or "—"),
               priority=t(f"priority.{tk.priority}", LANG), text=esc(tk.description[:30]))
             for tk in tickets]
    return t(key, LANG, count=len(tickets)) + "\n" + "\n".join(lines)


async def details(services: Services, ticket_id: int) -> str:
    found = await services.tickets.get(ticket_id)
    if found is None:
        return t("refuse.no_ticket", LANG, id=ticket_id)
    ticket, contact, profile, events, messages = found
    delivery = await services.tickets.delivery(ticket_id)
    lines = [services.tickets.views.card(ticket, contact, profile).text or "",
             t("staff.history", LANG)]
    for event in events[-15:]:
        lines.append(t("staff.event", LANG, at=event.at.strftime("%m-%d %H:%M"),
                       who=esc(event.actor_name or event.actor_kind), action=event.action,
                       status=status_label(event.to_status, LANG) if event.to_status else ""))
    lines.append(t("staff.messages", LANG, count=len(messages)))
    lines.append(t("staff.delivery", LANG, **delivery))
    return "\n".join(lines)


async def reload(services: Services, actor: Actor) -> str:
    if not services.staff.may(actor, "reload"):
        log.warning("refused /reload from %s", actor.id)
        return t("refuse.forbidden", LANG)
    result = await asyncio.to_thread(services.knowledge.reload)
    log.info("knowledge reload by %s: ok=%s entries=%s", actor.id, result.ok, result.entries)
    if result.ok:
        return t("staff.reloaded", LANG, entries=result.entries)
    problems = "\n".join(esc(str(p)) for p in result.problems[:10])
    return t("staff.reload_failed", LANG, entries=result.entries, problems=problems)
