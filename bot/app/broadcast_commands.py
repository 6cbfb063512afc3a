"""Staff commands of broadcasts (supervisors): `/broadcast [filters] text` drafts a notice and
shows its preview and recipient count; `/broadcast_send N` (or the button) sends it and
`/broadcast_cancel N` discards or stops it."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..outreach.broadcast_segment import SegmentError, parse
from ..outreach.broadcasts import MAX_BODY, Broadcasts
from .command_types import CommandResult, StaffCommand, number
from ..foundation.i18n import t
from ..delivery.outgoing import Button
from ..requests.staff_directory import Actor, Role

if TYPE_CHECKING:
    from .services import Services

LANG = "zh-CN"


def _service(services: "Services") -> Broadcasts:
    return Broadcasts(services.sessions, services.postman.notify)


async def _draft(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    try:
        segment, body = parse(args[0] if args else "")
    except SegmentError as exc:
        return CommandResult(t(f"broadcast.error.{exc.reason}", LANG, **exc.params) + "\n\n"
                             + t("broadcast.usage", LANG), ok=False)
    if not body:
        return CommandResult(t("broadcast.usage", LANG), ok=False)
    if len(body) > MAX_BODY:
        return CommandResult(t("broadcast.error.too_long", LANG, max=MAX_BODY,
                               length=len(body)), ok=False)
    draft = await _service(services).create(actor, segment, body)
    where = segment.describe(LANG)
    if not draft.recipients:
        return CommandResult(t("broadcast.nobody", LANG, segment=where, skipped=draft.skipped),
                             ok=False)
    previews = [text if len(draft.previews) == 1 else
                t("broadcast.preview_language", LANG, language=t(f"broadcast.language.{lang}",
                                                                 LANG)) + "\n" + text
                for lang, text in draft.previews.items()]
    text = "\n".join([
        t("broadcast.preview", LANG, id=draft.id, segment=where, count=draft.recipients),
        *([t("broadcast.skipped", LANG, skipped=draft.skipped)] if draft.skipped else []),
        t("broadcast.preview_start", LANG), "\n\n".join(previews),
        t("broadcast.preview_end", LANG, id=draft.id)])
    return CommandResult(text, buttons=[[
        Button(t("broadcast.send_button", LANG, count=draft.recipients), f"bc:send:{draft.id}"),
        Button(t("broadcast.cancel_button", LANG), f"bc:cancel:{draft.id}")]])


async def _send(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    broadcast_id = number(args[0]) if len(args) == 1 else None
    if broadcast_id is None:
        return CommandResult(t("broadcast.usage_send", LANG), ok=False)
    outcome, recipients = await _service(services).start(broadcast_id)
    return CommandResult(t(f"broadcast.start.{outcome}", LANG, id=broadcast_id,
                           count=recipients), ok=outcome == "started")


async def _cancel(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    broadcast_id = number(args[0]) if len(args) == 1 else None
    if broadcast_id is None:
        return CommandResult(t("broadcast.usage_cancel", LANG), ok=False)
    outcome, counts = await _service(services).cancel(broadcast_id)
    return CommandResult(t(f"broadcast.stop.{outcome}", LANG, id=broadcast_id,
                           sent=counts.sent, cancelled=counts.cancelled),
                         ok=outcome in ("cancelled", "discarded"))


COMMANDS = {
    "broadcast": StaffCommand("broadcast", Role.SUPERVISOR, _draft, raw=True),
    "broadcast_send": StaffCommand("broadcast_send", Role.SUPERVISOR, _send),
    "broadcast_cancel": StaffCommand("broadcast_cancel", Role.SUPERVISOR, _cancel),
}
