"""An answer as plain text (terminal and command line)."""
from __future__ import annotations

from knowledge.model import Entry

from .assistant import offers_staff
from ..foundation.i18n import t


def render_entry(entry: Entry, lang: str) -> str:
    """The answer with its source, review date and the disclaimer; a high-risk answer then
    names the command that hands the question to staff."""
    text = t("answer.plain", lang, question=entry.question, answer=entry.answer,
             source=entry.source, updated=entry.updated.isoformat(),
             disclaimer=t("answer.disclaimer", lang))
    return text + "\n" + t("answer.staff_hint", lang) if offers_staff(entry) else text


def render_under_review(entry: Entry, lang: str) -> str:
    """An entry whose policy has ended: flagged as under review, with the offer to ask staff."""
    return t("answer.under_review_plain", lang, question=entry.question,
             valid_until=entry.valid_until.isoformat() if entry.valid_until else "",
             source=entry.source)
