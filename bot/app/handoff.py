"""Hand a conversation to a person: a request whose description lists the enterprise's recent
questions, as a person would write them, so that staff do not start from scratch."""
from __future__ import annotations

from storage.models import Contact, Ticket

from ..foundation.i18n import t
from .services import Services

RECENT = 5  # questions carried over
QUESTION_CHARS = 100


def recent_questions(texts: list[str]) -> list[str]:
    """The questions, oldest first, each on one line and shortened, repeats left out."""
    found: list[str] = []
    for text in texts:
        line = " ".join(text.split())
        if len(line) > QUESTION_CHARS:
            line = line[:QUESTION_CHARS - 1] + "…"
        if line and line not in found:
            found.append(line)
    return found


def handoff_description(texts: list[str], lang: str = "zh-CN") -> str:
    questions = recent_questions(texts)
    if not questions:
        return t("tg.human_description_none", lang)
    items = "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1))
    return t("tg.human_description", lang) + "\n" + items


async def hand_off(services: Services, contact: Contact) -> Ticket | None:
    """Create the human-mode request; None when the contact is already talking to staff."""
    if contact.human_ticket_id is not None:
        return None
    recent = await services.questions.recent_for(contact.external_id, limit=RECENT)
    description = handoff_description([row.text for row in reversed(recent)])
    return await services.tickets.create(contact.id, "other", description, origin="human",
                                         context={"recent": [r.id for r in recent]})
