"""What service-level targets and follow-up visits look like: card lines, alerts, questions."""
from __future__ import annotations

from datetime import datetime, tzinfo

from storage.models import Contact, Ticket

from ..foundation.i18n import t
from ..delivery.outgoing import Button, Outgoing, esc
from .sla import FIRST_RESPONSE, RESOLUTION, TARGETS, Alert, SlaPolicy, Target, aware
from .ticket_rules import OPEN, Outcome

STAFF_LANG = "zh-CN"
FOLLOWUP_ANSWERS = {"yes": True, "no": False}  # in callback data and `/followup N yes|no`


def local(value: datetime, tz: tzinfo, form: str = "%m-%d %H:%M") -> str:
    """A stored (UTC) instant as a person reads it: in the working calendar's zone."""
    return aware(value).astimezone(tz).strftime(form)


def duration(seconds: float, lang: str) -> str:
    minutes = max(0, round(seconds / 60))
    if minutes < 60:
        return t("sla.minutes", lang, minutes=minutes)
    return t("sla.hours", lang, hours=minutes // 60, minutes=minutes % 60)


def _done_at(ticket: Ticket, target: Target) -> datetime | None:
    if target is FIRST_RESPONSE:
        return ticket.first_response_at
    return None if ticket.status in OPEN else ticket.resolved_at or ticket.closed_at


def _state(ticket: Ticket, target: Target, tz: tzinfo) -> str:
    due = getattr(ticket, target.due)
    if due is None:
        return t("sla.none", STAFF_LANG)
    done = _done_at(ticket, target)
    if done is not None:
        state = "met" if aware(done) <= aware(due) else "late"
    elif getattr(ticket, target.escalated) is not None:
        state = "overdue"
    elif getattr(ticket, target.reminded) is not None:
        state = "soon"
    else:
        state = "running"
    return local(due, tz) + t(f"sla.state.{state}", STAFF_LANG)


def card_lines(ticket: Ticket, tz: tzinfo) -> list[str]:
    """The targets with their state, and the follow-up visit, for the staff card."""
    lines = []
    if ticket.first_response_due_at or ticket.resolution_due_at:
        lines.append(t("sla.card", STAFF_LANG, first=_state(ticket, FIRST_RESPONSE, tz),
                       resolution=_state(ticket, RESOLUTION, tz)))
    if ticket.followup_result:
        lines.append(t("sla.followup.card_result", STAFF_LANG,
                       result=t(f"sla.followup.{ticket.followup_result}", STAFF_LANG),
                       at=local(ticket.followup_answered_at, tz)))
    elif ticket.followup_asked_at:
        lines.append(t("sla.followup.card_asked", STAFF_LANG))
    elif ticket.followup_due_at:
        lines.append(t("sla.followup.card_due", STAFF_LANG, due=local(ticket.followup_due_at, tz)))
    return lines


def time_left(ticket: Ticket, policy: SlaPolicy, now: datetime) -> list[str]:
    """How much working time the running targets have left (for `/ticket N`)."""
    lines = []
    for target in TARGETS:
        due = getattr(ticket, target.due)
        if due is None or target.met(ticket):
            continue
        label = t(f"sla.target.{target.name}", STAFF_LANG)
        when = local(due, policy.calendar.tz)
        if aware(due) <= now:
            lines.append(t("sla.overdue", STAFF_LANG, target=label, due=when))
        else:
            lines.append(t("sla.left", STAFF_LANG, target=label, due=when,
                           left=duration(policy.left(aware(due), now), STAFF_LANG)))
    return lines


def alert(ticket: Ticket, target: Target, kind: Alert, policy: SlaPolicy, now: datetime,
          supervisors: list[int]) -> Outgoing:
    """A reminder (who owns it, how long is left) or an escalation mentioning the supervisors,
    posted in the request's topic."""
    lang = STAFF_LANG
    due = aware(getattr(ticket, target.due))
    params = {"id": ticket.id, "target": t(f"sla.target.{target.name}", lang),
              "due": local(due, policy.calendar.tz),
              "owner": esc(ticket.assignee_name) if ticket.assignee_id
              else t("card.unassigned", lang)}
    if kind is Alert.REMIND:
        text = t("sla.remind", lang, left=duration(policy.left(due, now), lang), **params)
    else:
        mentions = "、".join(
            f'<a href="tg://user?id={int(user)}">{t("sla.supervisor", lang, id=int(user))}</a>'
            for user in supervisors) or t("sla.no_supervisors", lang)
        text = t("sla.escalate", lang, supervisors=mentions, **params)
    return Outgoing(text=text, in_ticket_thread=True)


def followup_question(ticket: Ticket, contact: Contact, tz: tzinfo) -> Outgoing:
    lang = contact.language
    resolved = aware(ticket.resolved_at).astimezone(tz).strftime("%Y-%m-%d")
    return Outgoing(
        text=t("sla.followup.question", lang, id=ticket.id, date=resolved,
               category=t(f"category.{ticket.category}", lang)),
        buttons=[[Button(t("sla.followup.solved", lang), f"fu:{ticket.id}:yes"),
                  Button(t("sla.followup.unsolved", lang), f"fu:{ticket.id}:no")]])


def followup_reply(ticket: Ticket, contact: Contact, solved: bool) -> Outgoing:
    key = "sla.followup.reply_solved" if solved else "sla.followup.reply_unsolved"
    return Outgoing(text=t(key, contact.language, id=ticket.id))


def followup_staff(ticket: Ticket, solved: bool) -> Outgoing:
    key = "sla.followup.staff_solved" if solved else "sla.followup.staff_unsolved"
    return Outgoing(text=t(key, STAFF_LANG, id=ticket.id), in_ticket_thread=True)


def followup_outcome(outcome: Outcome, lang: str) -> str:
    """What the enterprise is told after answering (a refusal changes nothing)."""
    if outcome.ok:
        return t("sla.followup.thanks", lang)
    return t(f"sla.followup.{outcome.reason}", lang, **outcome.params)
