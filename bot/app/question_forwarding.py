"""An unanswered question handed to staff in one tap: a request with the question already
filled in, so the enterprise does not type it again (the offer under "no answer")."""
from __future__ import annotations

import json

from storage.models import Contact, Ticket

from ..foundation.i18n import t
from .services import Services

ORIGIN = "question"
MAX_QUOTED = 2000


async def forward_question(services: Services, contact: Contact, question_id: int
                           ) -> Ticket | None:
    """The request made from the contact's question `question_id` (the existing one when the
    button is pressed again); None when the question is not theirs or was erased."""
    row = await services.questions.asked_by(question_id, contact.external_id)
    if row is None or not (row.text or "").strip():
        return None
    marker = {"question": question_id}
    for ticket in await services.tickets.for_contact(contact.id, limit=50):
        if ticket.origin == ORIGIN and ticket.context == json.dumps(marker, ensure_ascii=False):
            return ticket
    description = t("ticket.forwarded_question", "zh-CN", question=row.text[:MAX_QUOTED])
    return await services.tickets.create(contact.id, "other", description, origin=ORIGIN,
                                         context=marker)
