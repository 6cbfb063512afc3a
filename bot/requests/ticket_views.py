"""What each ticket change looks like: staff cards, relays and enterprise notifications.

Texts come from the locale files; every user-provided string is HTML-escaped here.
"""
from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from storage.models import Contact, EnterpriseProfile, Ticket

from ..foundation.i18n import SUPPORTED, keys, t
from ..delivery.outgoing import Button, Outgoing, esc
from .sla_views import card_lines, local
from .staff_directory import Actor
from .ticket_rules import CATEGORIES, OPEN, PRIORITIES

STAFF_LANG = "zh-CN"


def category_label(category: str, lang: str) -> str:
    return t(f"category.{category}", lang)


def status_label(status: str, lang: str) -> str:
    return t(f"status.{status}", lang)


def one_line(text: str | None, width: int) -> str:
    """A description on one row of a list: its lines joined by spaces, cut at `width`
    characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"
def action_label(action: str, lang: str) -> str:
    """What a ticket event did, as staff read it (an unknown action as recorded)."""
    key = f"event_action.{action}"
    return t(key, lang) if key in keys("zh-CN") else action


def words_of(prefix: str, choices) -> dict[str, str]:
    """Each key, and its label under `prefix` in every language (lower case), to the key."""
    words = {}
    for key in choices:
        words[key] = key
        for lang in SUPPORTED:
            words[t(f"{prefix}.{key}", lang).lower()] = key
    return words


def category_of(word: str) -> str | None:
    """A category from its key or its name (融资, 法律咨询 or 法律, 项目申报 or 项目 …)."""
    word = word.strip().lower()
    words = words_of("category", CATEGORIES)
    if word in words:
        return words[word]
    starts = {key for name, key in words.items() if len(word) >= 2 and name.startswith(word)}
    return starts.pop() if len(starts) == 1 else None


def category_choices(lang: str) -> str:
    return "、".join(t(f"category.{c}", lang) for c in CATEGORIES)


def priority_of(word: str) -> str | None:
    """The priority staff name: its key (`urgent`) or its label in any language (`紧急`)."""
    return words_of("priority", PRIORITIES).get(word.strip().lower())


def priority_choices(lang: str) -> str:
    return " / ".join(f"{t(f'priority.{level}', lang)}（{level}）" for level in PRIORITIES)


class TicketViews:
    def __init__(self, tz: tzinfo = ZoneInfo("Asia/Shanghai")) -> None:
        self.tz = tz  # the working calendar's, for the due times on the card

    def my_ticket_line(self, ticket: Ticket, lang: str) -> str:
        """One of an enterprise's requests in /mytickets, dated in the calendar's zone."""
        return t("tg.ticket_line", lang, id=ticket.id,
                 category=category_label(ticket.category, lang),
                 status=status_label(ticket.status, lang),
                 date=local(ticket.created_at, self.tz, "%Y-%m-%d"),
                 text=esc(one_line(ticket.description, 40)))

    def topic(self, ticket: Ticket, profile: EnterpriseProfile | None, contact: Contact
              ) -> Outgoing:
        who = (profile.company_name if profile and profile.company_name
               else contact.display_name or contact.external_id)
        name = f"#{ticket.id} {category_label(ticket.category, STAFF_LANG)} · {who}"
        return Outgoing(kind="topic", topic_action="create", text=name[:128])

    def card(self, ticket: Ticket, contact: Contact, profile: EnterpriseProfile | None,
             edit: bool = False) -> Outgoing:
        lang = STAFF_LANG
        company = t("card.unknown", lang)
        if profile and profile.company_name:
            company = f"{esc(profile.company_name)}（{esc(profile.credit_code)}）"
        person = esc(profile.contact_name) if profile and profile.contact_name else esc(
            contact.display_name or "")
        phone = esc(profile.phone) if profile and profile.phone else "—"
        owner = esc(ticket.assignee_name) if ticket.assignee_id else t("card.unassigned", lang)
        lines = [
            t("card.title", lang, id=ticket.id, category=category_label(ticket.category, lang),
              status=status_label(ticket.status, lang),
              priority=t(f"priority.{ticket.priority}", lang)),
            t("card.company", lang, company=company),
            t("card.contact", lang, person=person, phone=phone),
            t("card.owner", lang, owner=owner),
        ]
        if ticket.department:
            lines.append(t("card.department", lang, department=esc(ticket.department)))
        if contact.unreachable_at is not None:
            lines.append(t("card.unreachable", lang))
        lines.append(t("card.description", lang, text=esc(ticket.description[:1500])))
        if ticket.rating:
            lines.append(t("card.rating", lang, stars="★" * ticket.rating))
        lines.extend(card_lines(ticket, self.tz))
        buttons: list[Button] = []
        if ticket.status in OPEN:
            if not ticket.assignee_id:
                buttons.append(Button(t("button.claim", lang), f"tk:claim:{ticket.id}"))
            buttons.append(Button(t("button.resolve", lang), f"tk:resolve:{ticket.id}"))
            buttons.append(Button(t("button.close", lang), f"tk:close:{ticket.id}"))
        else:
            buttons.append(Button(t("button.reopen", lang), f"tk:reopen:{ticket.id}"))
            if ticket.status == "resolved":
                buttons.append(Button(t("button.close", lang), f"tk:close:{ticket.id}"))
        return Outgoing(text="\n".join(lines), buttons=[buttons], in_ticket_thread=True,
                        edit_target="card" if edit else None)

    def relay_in(self, ticket: Ticket, contact: Contact, profile: EnterpriseProfile | None,
                 content) -> Outgoing:
        who = esc(profile.company_name if profile and profile.company_name
                  else contact.display_name or contact.external_id)
        header = t("relay.from_enterprise", STAFF_LANG, id=ticket.id, who=who)
        body = esc(content.text) if content.text else ""
        if content.kind != "text" and content.message_id is not None:
            return Outgoing(kind="copy", copy_from=content.chat_id,
                            copy_message_id=content.message_id,
                            text=f"{header}\n{body}".strip()[:1024], in_ticket_thread=True)
        return Outgoing(text=f"{header}\n{body}", in_ticket_thread=True)

    def relay_out(self, ticket: Ticket, contact: Contact, content) -> Outgoing:
        lang = contact.language
        header = t("relay.from_staff", lang, id=ticket.id)
        body = esc(content.text) if content.text else ""
        buttons = [[Button(t("button.end_human", lang), "human:end")]]
        if content.kind != "text" and content.message_id is not None:
            return Outgoing(kind="copy", copy_from=content.chat_id,
                            copy_message_id=content.message_id,
                            text=f"{header}\n{body}".strip()[:1024], buttons=buttons)
        return Outgoing(text=f"{header}\n{body}", buttons=buttons)

    def accepted(self, ticket: Ticket, contact: Contact) -> Outgoing:
        lang = contact.language
        key = "ticket.accepted_human" if ticket.origin == "human" else "ticket.accepted"
        return Outgoing(text=t(key, lang, id=ticket.id,
                               category=category_label(ticket.category, lang)))

    def claimed(self, ticket: Ticket, contact: Contact) -> Outgoing:
        return Outgoing(text=t("ticket.claimed", contact.language, id=ticket.id,
                               name=esc(ticket.assignee_name)))

    def resolved(self, ticket: Ticket, contact: Contact) -> Outgoing:
        lang = contact.language
        summary = esc(ticket.resolution) if ticket.resolution else t("ticket.no_summary", lang)
        stars = [Button(f"{'⭐' * n}", f"rate:{ticket.id}:{n}") for n in range(1, 6)]
        return Outgoing(text=t("ticket.resolved", lang, id=ticket.id, summary=summary),
                        buttons=[stars[:3], stars[3:]])

    def thanks(self, ticket: Ticket, contact: Contact, score: int) -> Outgoing:
        lang = contact.language
        if score <= 2:
            return Outgoing(text=t("ticket.sorry", lang, id=ticket.id),
                            buttons=[[Button(t("button.reopen", lang), f"reopen:{ticket.id}")]])
        return Outgoing(text=t("ticket.thanks", lang, id=ticket.id))

    def rated_staff(self, ticket: Ticket, score: int) -> Outgoing:
        return Outgoing(text=t("ticket.rated_staff", STAFF_LANG, id=ticket.id,
                               stars="★" * score), in_ticket_thread=True)

    def reopened_staff(self, ticket: Ticket, actor: Actor) -> Outgoing:
        return Outgoing(text=t("ticket.reopened_staff", STAFF_LANG, id=ticket.id,
                               who=esc(actor.name)), in_ticket_thread=True)

    def reopened(self, ticket: Ticket, contact: Contact) -> Outgoing:
        return Outgoing(text=t("ticket.reopened", contact.language, id=ticket.id))

    def handed_over(self, ticket: Ticket, contact: Contact) -> Outgoing:
        lang = contact.language
        return Outgoing(text=t("ticket.handed_over", lang, id=ticket.id),
                        buttons=[[Button(t("button.end_human", lang), "human:end")]])

    def back_to_assistant(self, ticket: Ticket, contact: Contact) -> Outgoing:
        return Outgoing(text=t("ticket.back_to_assistant", contact.language, id=ticket.id))

    def finished_offer(self, ticket: Ticket, contact: Contact) -> Outgoing:
        lang = contact.language
        return Outgoing(text=t("ticket.finished_offer", lang, id=ticket.id),
                        buttons=[[Button(t("button.reopen", lang), f"reopen:{ticket.id}")]])

    def transferred(self, ticket: Ticket, contact: Contact) -> Outgoing:
        return Outgoing(text=t("ticket.transferred", contact.language, id=ticket.id,
                               department=esc(ticket.department)))

    def note_saved(self, ticket: Ticket, actor: Actor, text: str) -> Outgoing:
        return Outgoing(text=t("ticket.note_saved", STAFF_LANG, id=ticket.id,
                               who=esc(actor.name)), in_ticket_thread=True)
