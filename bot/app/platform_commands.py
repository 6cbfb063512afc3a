"""Staff commands of the platform's own work: the enterprise register (`/enterprise`), needs
found off the chat (`/record`), visits (`/visit`), outcomes (`/outcome`) and the platform's
report (`/report`). The rules are in `bot/requests/` (register, recording, outcomes) and
`bot/reports/platform_report.py`; these commands only parse and phrase."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from storage.enterprises import EnterpriseRepository
from storage.models import Ticket
from storage.outcomes import outcomes_of

from ..delivery.outgoing import Outgoing, esc
from ..foundation.periods import Period, PeriodError, parse_period
from ..foundation.i18n import t
from ..requests import audit, record_dialog
from ..requests.outcomes import OutcomeService
from ..requests.recording import NeedRecorder, Recorded, RecordError, parse_record
from ..requests.register import RegisterError, find, parse_enterprise
from ..requests.staff_directory import Actor, Role
from ..requests.ticket_views import category_label
from ..reports.platform_report import PlatformReport, collect_report
from ..reports.platform_sheet import write_report
from ..reports.platform_text import report_text
from ..reports.report_files import new_report_dir
from .command_types import CommandResult, StaffCommand, number

if TYPE_CHECKING:
    from .services import Services

LANG = "zh-CN"


def _register(services: "Services") -> EnterpriseRepository:
    return EnterpriseRepository(services.sessions)


def recorder(services: "Services") -> NeedRecorder:
    tz = services.calendar.tz
    return NeedRecorder(services.sessions, _register(services), services.tickets,
                        lambda: services.clock().astimezone(tz).date())


def _refusal(reason: str, params: dict) -> CommandResult:
    return CommandResult(t(reason, LANG, **{k: esc(str(v)) for k, v in params.items()}),
                         ok=False)


def _enterprise_text(enterprise) -> str:
    missing = "—"
    size = t(f"platform.size.{enterprise.size}", LANG) if enterprise.size else missing
    return t("platform.enterprise", LANG, id=enterprise.id, name=esc(enterprise.name),
             code=enterprise.credit_code or missing, industry=esc(enterprise.industry or missing),
             district=esc(enterprise.district or missing), size=size,
             person=esc(enterprise.contact_name or missing), phone=enterprise.phone or missing)


async def _enterprise(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    """`/enterprise CODE 名称 行业=… …` registers or updates; `/enterprise CODE|名称` shows."""
    if len(args) == 1:
        found = await find(_register(services), args[0])
        if found.enterprise is None:
            return _refusal(found.reason, found.params)
        return CommandResult(_enterprise_text(found.enterprise))
    try:
        data = parse_enterprise(args)
    except RegisterError as exc:
        return _refusal(exc.reason, exc.params)
    if data.name is None and await _register(services).by_code(data.credit_code) is None:
        return CommandResult(t("platform.err.name_needed", LANG), ok=False)
    enterprise, created = await _register(services).save(data)
    key = "platform.registered" if created else "platform.updated"
    return CommandResult(t(key, LANG) + "\n" + _enterprise_text(enterprise))


def _recorded_text(done: Recorded) -> str:
    ticket = done.tickets[0]
    return t("platform.recorded", LANG, id=ticket.id, enterprise=esc(done.enterprise),
             category=category_label(ticket.category, LANG),
             source=t(f"platform.source.{ticket.source}", LANG))


async def _record(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    if not args:  # the guided dialog
        begun = record_dialog.start()
        return CommandResult(begun.text, dialog=begun.state)
    try:
        line = parse_record(args)
    except RecordError as exc:
        return _refusal(exc.reason, exc.params)
    done = await recorder(services).record(actor, line)
    if not done.ok:
        return _refusal(done.reason, done.params)
    return CommandResult(_recorded_text(done), ticket_id=done.tickets[0].id)


async def _visit(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    done = await recorder(services).visit(actor, args[0] if args else "")
    if not done.ok:
        return _refusal(done.reason, done.params)
    ids = "、".join(f"#{ticket.id}" for ticket in done.tickets) or "—"
    return CommandResult(t("platform.visited", LANG, id=done.visit.id,
                           enterprise=esc(done.enterprise),
                           date=done.visit.visited_on.isoformat(), staff=esc(actor.name),
                           count=len(done.tickets), ids=ids))


def outcomes(services: "Services") -> OutcomeService:
    return OutcomeService(services.sessions, services.staff, services.settings.outcomes,
                          services.clock)


def outcome_question(services: "Services", ticket) -> str:
    """What resolving a request asks for: its outcome, by its category's kind."""
    kind = services.settings.outcomes.kind_of(ticket.category)
    return t(f"platform.outcome.ask.{kind}", LANG, id=ticket.id,
             programmes="、".join(services.settings.outcomes.programmes),
             levels="、".join(services.settings.outcomes.levels))


def _wan(yuan: int | None) -> str:
    return "—" if yuan is None else f"{yuan / 10000:,.2f}".rstrip("0").rstrip(".")


def outcome_line(outcome) -> str:
    return t(f"platform.outcome.line.{outcome.kind}", LANG,
             institution=esc(outcome.institution or "—"), credit=_wan(outcome.credit_yuan),
             disbursed=_wan(outcome.disbursed_yuan), programme=esc(outcome.programme or "—"),
             level=esc(outcome.level or "—"), result=esc(outcome.result or "—"),
             recovered=_wan(outcome.recovered_yuan))


async def _outcome(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    """`/outcome N 键=值 …` records (or replaces) an outcome; `/outcome N` asks for it."""
    ticket_id = number(args[0]) if args else None
    if ticket_id is None:
        return CommandResult(t("platform.usage.outcome", LANG), ok=False)
    service = outcomes(services)
    if len(args) == 1:
        async with services.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            recorded = await outcomes_of(session, ticket_id) if ticket else []
        if ticket is None:
            return CommandResult(t("refuse.no_ticket", LANG, id=ticket_id), ok=False)
        lines = [outcome_line(o) for o in recorded] or [t("platform.outcome.none", LANG)]
        return CommandResult("\n".join([t("platform.outcome.title", LANG, id=ticket_id),
                                        *lines, outcome_question(services, ticket)]),
                             ticket_id=ticket_id)
    done, saved = await service.add(actor, ticket_id, args[1:])
    if not done.ok:
        if done.reason.startswith("platform.outcome.err.usage"):  # what its kind asks for
            text = outcome_question(services, done.ticket)
        else:
            text = t(done.reason, LANG, **{k: esc(str(v)) for k, v in done.params.items()})
        return CommandResult(text, ticket_id=ticket_id, ok=False)
    key = "platform.outcome.saved" if done.params["new"] else "platform.outcome.replaced"
    return CommandResult(t(key, LANG, id=ticket_id) + "\n" + outcome_line(saved),
                         ticket_id=ticket_id)


def _draw(services: "Services", report: PlatformReport) -> list[Outgoing]:
    """The sheet and the chart, written in a fresh report folder (blocking: in a thread)."""
    from ..reports import charts  # matplotlib takes a second to load: in this worker thread

    folder = new_report_dir(services.settings.reports.dir, services.settings.reports.keep_days)
    sheet = write_report(report, folder / f"platform-report-{report.period.label}.xlsx", LANG)
    png, title = charts.render_report(report, folder, LANG)
    return [Outgoing(kind="photo", file_path=str(png), text=esc(title)),
            Outgoing(kind="document", file_path=str(sheet),
                     text=t("platform.sheet.title", LANG, period=esc(report.period.label)))]


async def platform_report(services: "Services", period: Period) -> PlatformReport:
    return await collect_report(services.sessions, period,
                                services.settings.reports.resolution_target,
                                services.settings.outcomes)


async def _report(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    tz = services.calendar.tz
    try:
        period = parse_period(" ".join(args), tz, services.clock().astimezone(tz).date(),
                              default="year")
    except PeriodError:
        return CommandResult(t("platform.usage.report", LANG), ok=False)
    report = await platform_report(services, period)
    files = await asyncio.to_thread(_draw, services, report)
    return CommandResult(report_text(report, LANG) + "\n" + t("platform.report_files", LANG),
                         files=files)


async def dialog_line(services: "Services", actor: Actor, state: dict, text: str
                      ) -> tuple[CommandResult, dict | None]:
    """One line of a staff member's guided dialog: the reply, and the state to keep (None
    when the dialog is over)."""
    reply = await record_dialog.answer(recorder(services), actor, state, text)
    await audit.record(services.sessions, actor, "record_dialog",
                       "ok" if reply.ticket_id or not reply.done else "refused",
                       reply.ticket_id, text[:200])
    return (CommandResult(reply.text, ticket_id=reply.ticket_id),
            None if reply.done else reply.state)


COMMANDS = {
    "enterprise": StaffCommand("enterprise", Role.AGENT, _enterprise),
    "record": StaffCommand("record", Role.AGENT, _record),
    "visit": StaffCommand("visit", Role.AGENT, _visit, raw=True),
    "outcome": StaffCommand("outcome", Role.AGENT, _outcome),
    "report": StaffCommand("report", Role.AGENT, _report),
}
