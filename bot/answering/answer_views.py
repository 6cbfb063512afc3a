"""How the assistant's replies look on a messaging channel (HTML + buttons)."""
from __future__ import annotations

from knowledge.model import Entry
from knowledge.smalltalk import SmallTalk

from .assistant import InputProblem, offers_staff
from ..foundation.i18n import t
from ..delivery.outgoing import Button, Outgoing, esc


MAX_LINKED = 4  # related and follow-up questions under an answer


def answer(entry: Entry, lang: str, question_id: int | None, follow_ups: list[Entry],
           related: list[Entry] = ()) -> Outgoing:
    """The answer; a high-risk one has the hand-off button right under its referral line;
    then the entries that scored close behind it (related) and its own follow-up questions."""
    text = t("answer.html", lang, question=esc(entry.question), answer=esc(entry.answer),
             source=esc(entry.source), updated=entry.updated.isoformat(),
             disclaimer=t("answer.disclaimer", lang))
    rows: list[list[Button]] = []
    if offers_staff(entry):
        rows.append([Button(t("button.ask_staff", lang), "human")])
    if question_id is not None:
        rows.append([Button(t("button.helpful", lang), f"fb:{question_id}:1"),
                     Button(t("button.not_helpful", lang), f"fb:{question_id}:0")])
    rows += [[Button(f"❓ {e.question}", f"kb:{e.id}")] for e in linked(entry, related, follow_ups)]
    return Outgoing(text=text, buttons=rows)


def linked(entry: Entry, related: list[Entry], follow_ups: list[Entry]) -> list[Entry]:
    """Related entries first, then follow-ups, each once, at most MAX_LINKED."""
    seen = {entry.id: entry}
    for other in (*related, *follow_ups):
        seen.setdefault(other.id, other)
    return list(seen.values())[1:MAX_LINKED + 1]


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


def no_answer(lang: str, question_id: int | None = None, key: str = "reply.no_answer"
              ) -> Outgoing:
    """No answer: offer to pass the question itself to staff (when it was logged), a new
    request, or a person."""
    first = (Button(t("button.forward_question", lang), f"fwd:{question_id}") if question_id
             else Button(t("button.file_request", lang), "new"))
    return Outgoing(text=t(key, lang), buttons=[[first],
                                                 [Button(t("button.talk_to_staff", lang), "human")]])


def problem(kind: InputProblem, lang: str, max_chars: int) -> Outgoing:
    return Outgoing(text=t(f"reply.{kind.value}", lang, max=max_chars))


def small_talk(kind: SmallTalk, lang: str) -> Outgoing:
    return Outgoing(text=t(f"reply.small_talk.{kind.value}", lang))
