"""An answer as plain text (terminal and command line)."""
from __future__ import annotations

from knowledge.model import Entry

from ..foundation.i18n import t


def render_entry(entry: Entry, lang: str) -> str:
    """The answer with its source, review date and the disclaimer."""
    return t("answer.plain", lang, question=entry.question, answer=entry.answer,
             source=entry.source, updated=entry.updated.isoformat(),
             disclaimer=t("answer.disclaimer", lang))
