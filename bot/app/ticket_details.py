"""`/ticket N [all]`: a request as staff review it — its card, the time left, the history and
the conversation (the last messages, or all), every time in the working calendar's zone."""
from __future__ import annotations

from ..delivery.outgoing import esc
from ..foundation.i18n import t
from ..requests.sla_views import local, time_left
from ..requests.ticket_views import action_label, category_label, status_label
from .services import Services

LANG = "zh-CN"
CONVERSATION = 10  # messages of a request `/ticket N` shows; `/ticket N all` shows them all
MESSAGE_CHARS = 500


def message_line(message, tz) -> str:
    """One message of a request's conversation as staff read it."""
    who = esc(message.author_name or message.author_id or "")
    side = {"in": "staff.from_enterprise", "out": "staff.from_staff"}.get(
        message.direction, "staff.from_note")
    text = message.text or ""
    if message.kind != "text":
        text = (t("staff.attachment", LANG, kind=message.kind) + " " + text).strip()
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS - 1] + "…"
    return t("staff.message_line", LANG, at=local(message.at, tz), who=t(side, LANG, name=who),
             text=esc(text))


def event_action(event) -> str:
    """The action as staff read it; a category change says from what to what."""
    action = action_label(event.action, LANG)
    if event.action == "category" and event.detail:
        moved = " → ".join(category_label(key, LANG) for key in event.detail.split(" → "))
        action += f"（{moved}）"
    return action


async def details(services: Services, ticket_id: int, everything: bool = False) -> str:
    found = await services.tickets.get(ticket_id)
    if found is None:
        return t("refuse.no_ticket", LANG, id=ticket_id)
    ticket, contact, profile, events, messages = found
    tz = services.calendar.tz
    delivery = await services.tickets.delivery(ticket_id)
    lines = [services.tickets.views.card(ticket, contact, profile).text or "",
             *time_left(ticket, services.tickets.sla, services.clock()), t("staff.history", LANG)]
    for event in events[-15:]:
        lines.append(t("staff.event", LANG, at=local(event.at, tz),
                       who=esc(event.actor_name or event.actor_kind),
                       action=event_action(event),
                       status=status_label(event.to_status, LANG) if event.to_status else ""))
    shown = messages if everything else messages[-CONVERSATION:]
    key = "staff.conversation" if len(shown) == len(messages) else "staff.conversation_recent"
    lines.append(t(key, LANG, count=len(messages), shown=len(shown), id=ticket_id))
    lines.extend(message_line(message, tz) for message in shown)
    lines.append(t("staff.delivery", LANG, **delivery))
    return "\n".join(lines)
