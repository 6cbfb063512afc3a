"""`/record` without arguments: a short guided dialog for staff (enterprise → category →
source → description), the same on every channel. The channel keeps the state (a dict) per
staff member between lines and feeds each line to `answer`; 取消 (or /cancel) ends it."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..foundation.i18n import t
from .recording import RECORDED, NeedLine, NeedRecorder, source_of
from .ticket_views import category_choices, category_of
from .register import find
from .staff_directory import Actor
from .ticket_rules import MAX_DESCRIPTION

LANG = "zh-CN"
STEPS = ("enterprise", "category", "source", "description")
CANCEL = ("/cancel", "取消", "cancel")


@dataclass
class DialogReply:
    text: str
    done: bool = False
    state: dict = field(default_factory=dict)
    ticket_id: int | None = None


def ask(step: str) -> str:
    return t(f"platform.dialog.{step}", LANG,
             categories=category_choices(LANG),
             sources="、".join(t(f"platform.source.{s}", LANG) for s in RECORDED))


def start() -> DialogReply:
    return DialogReply(ask("enterprise"), state={"step": "enterprise"})


async def answer(recorder: NeedRecorder, actor: Actor, state: dict, text: str) -> DialogReply:
    """One line of the dialog: the next question, the same one again with the reason, or the
    need recorded (done)."""
    text = text.strip()
    if text.lower() in CANCEL:
        return DialogReply(t("platform.dialog.cancelled", LANG), done=True)
    step, state = state.get("step", "enterprise"), dict(state)
    if step == "enterprise":
        found = await find(recorder.register, text)
        if found.enterprise is None:
            return DialogReply(t(found.reason, LANG, **found.params) + "\n" + ask(step),
                               state=state)
        state["enterprise"] = found.enterprise.credit_code or found.enterprise.name
        state["name"] = found.enterprise.name
    elif step == "category":
        if (category := category_of(text)) is None:
            return DialogReply(ask(step), state=state)
        state["category"] = category
    elif step == "source":
        if (source := source_of(text)) is None:
            return DialogReply(ask(step), state=state)
        state["source"] = source
    else:
        if not 2 <= len(text) <= MAX_DESCRIPTION:
            return DialogReply(t("platform.err.description", LANG) + "\n" + ask(step),
                               state=state)
        done = await recorder.record(actor, NeedLine(state["enterprise"], state["category"],
                                                     text, state["source"]))
        if not done.ok:
            return DialogReply(t(done.reason, LANG, **done.params), done=True)
        ticket = done.tickets[0]
        return DialogReply(t("platform.recorded", LANG, id=ticket.id, enterprise=done.enterprise,
                             category=t(f"category.{ticket.category}", LANG),
                             source=t(f"platform.source.{ticket.source}", LANG)),
                           done=True, ticket_id=ticket.id)
    state["step"] = STEPS[STEPS.index(step) + 1]
    return DialogReply(ask(state["step"]), state=state)
