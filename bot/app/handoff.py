"""Hand a conversation to a person: a request that carries the recent questions and the
bot's candidate answers, so that staff do not start from scratch."""
from __future__ import annotations

from storage.models import Contact, Ticket

from ..foundation.i18n import t
from .services import Services


async def hand_off(services: Services, contact: Contact) -> Ticket | None:
    """Create the human-mode request; None when the contact is already talking to staff."""
    if contact.human_ticket_id is not None:
        return None
    recent = await services.questions.recent_for(contact.external_id, limit=5)
    lines = []
    for row in reversed(recent):
        entry = services.assistant.entry(row.entry_id) if row.entry_id else None
        candidate = f" → {entry.question}（{row.decision}）" if entry else f"（{row.decision}）"
        lines.append(f"· {row.text[:200]}{candidate}")
    description = t("tg.human_description", "zh-CN") + ("\n" + "\n".join(lines) if lines else "")
    return await services.tickets.create(contact.id, "other", description, origin="human",
                                         context={"recent": [r.id for r in recent]})
