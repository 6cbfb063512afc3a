"""How the assistant's replies look on a messaging channel (HTML + buttons)."""
from __future__ import annotations

from knowledge.model import Entry

from .assistant import InputProblem, offers_staff
from ..foundation.i18n import t
from ..delivery.outgoing import Button, Outgoing, esc


def answer(entry: Entry, lang: str, question_id: int | None, follow_ups: list[Entry]) -> Outgoing:
    """The answer; a high-risk one has the hand-off button right under its referral line."""
    text = t("answer.html", lang, question=esc(entry.question), answer=esc(entry.answer),
             source=esc(entry.source), updated=entry.updated.isoformat(),
             disclaimer=t("answer.disclaimer", lang))
    rows: list[list[Button]] = []
    if offers_staff(entry):
        rows.append([Button(t("button.ask_staff", lang), "human")])
    if question_id is not None:
        rows.append([Button(t("button.helpful", lang), f"fb:{question_id}:1"),
                     Button(t("button.not_helpful", lang), f"fb:{question_id}:0")])
    rows += [[Button(f"❓ {e.question}", f"kb:{e.id}")] for e in follow_ups[:3]]
    return Outgoing(text=text, buttons=rows)


def under_review(entry: Entry, lang: str) -> Outgoing:
    """An entry whose policy has ended: flagged as under review instead of answered, with the
    hand-off (and the request form) offered."""
    text = t("answer.under_review_html", lang, question=esc(entry.question),
             valid_until=entry.valid_until.isoformat() if entry.valid_until else "",
             source=esc(entry.source))
    return Outgoing(text=text, buttons=[[Button(t("button.talk_to_staff", lang), "human"),
                                         Button(t("button.file_request", lang), "new")]])


def suggestions(entries: list[Entry], lang: str, question_id: int | None) -> Outgoing:
    rows = [[Button(e.question, f"kb:{e.id}")] for e in entries]
    rows.append([Button(t("button.none_of_these", lang), f"none:{question_id or 0}")])
    return Outgoing(text=t("reply.did_you_mean", lang), buttons=rows)


def no_answer(lang: str) -> Outgoing:
    return Outgoing(text=t("reply.no_answer", lang), buttons=[[
        Button(t("button.file_request", lang), "new"),
        Button(t("button.talk_to_staff", lang), "human")]])


def problem(kind: InputProblem, lang: str, max_chars: int) -> Outgoing:
    return Outgoing(text=t(f"reply.{kind.value}", lang, max=max_chars))
