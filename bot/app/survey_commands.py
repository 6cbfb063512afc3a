"""Staff commands of surveys: `/survey_send [filters] key` (supervisors) sends
`surveys/<key>.yaml` to a segment of subscribers; `/survey_results N` gives the counts per
option, a chart and the answers as xlsx."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..delivery.outgoing import Outgoing, esc
from ..foundation.i18n import t
from ..outreach.broadcast_segment import SegmentError, parse
from ..outreach.surveys import Results, SurveyError, Surveys, load_definition
from ..reports.report_files import new_report_dir
from ..reports.survey_files import write_answers
from ..requests.staff_directory import Actor, Role
from .command_types import CommandResult, StaffCommand, number

if TYPE_CHECKING:
    from .services import Services

LANG = "zh-CN"


def surveys(services: "Services") -> Surveys:
    return Surveys(services.sessions, services.tickets, services.clock,
                   services.postman.notify)


async def _send(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    try:
        segment, key = parse(args[0] if args else "")
    except SegmentError as exc:
        return CommandResult(t(f"broadcast.error.{exc.reason}", LANG, **exc.params), ok=False)
    if not key:
        return CommandResult(t("survey.usage_send", LANG), ok=False)
    try:
        definition = await asyncio.to_thread(load_definition, key.strip())
    except SurveyError as exc:
        return CommandResult(t(f"survey.err.{exc.reason}", LANG, **{
            k: esc(str(v)) for k, v in exc.params.items()}), ok=False)
    survey, invited = await surveys(services).send(actor, definition, segment)
    return CommandResult(t("survey.sent", LANG, id=survey.id, title=esc(definition.title),
                           invited=invited, segment=segment.describe(LANG)))


def _results_text(results: Results) -> str:
    lines = [t("survey.results", LANG, id=results.survey.id, title=esc(results.survey.title),
               invited=results.survey.invited, started=results.started,
               finished=results.finished)]
    for question in results.definition.questions:
        lines.append(f"<b>{esc(question.text)}</b>")
        if question.id in results.counts:
            lines.append("　" + "；".join(f"{esc(option)} {n}" for option, n
                                         in results.counts[question.id].items()))
        elif question.id in results.numbers:
            values = results.numbers[question.id]
            lines.append(t("survey.numbers", LANG, count=len(values),
                           total=f"{sum(values):,}", median=f"{sorted(values)[len(values) // 2]:,}"))
        else:
            lines.append(t("survey.texts", LANG, count=results.texts.get(question.id, 0)))
    return "\n".join(lines)


def _files(services: "Services", results: Results) -> list[Outgoing]:
    from ..reports import charts  # matplotlib takes a second to load: in this worker thread

    folder = new_report_dir(services.settings.reports.dir, services.settings.reports.keep_days)
    sheet = write_answers(results, folder / f"survey-{results.survey.id}.xlsx", LANG)
    files = []
    if drawn := charts.render_survey(results, folder, LANG):
        files.append(Outgoing(kind="photo", file_path=str(drawn[0]), text=esc(drawn[1])))
    files.append(Outgoing(kind="document", file_path=str(sheet), text=t(
        "survey.sheet_caption", LANG, id=results.survey.id, rows=len(results.rows))))
    return files


async def _results(services: "Services", actor: Actor, args: list[str]) -> CommandResult:
    survey_id = number(args[0]) if len(args) == 1 else None
    if survey_id is None:
        return CommandResult(t("survey.usage_results", LANG), ok=False)
    results = await surveys(services).results(survey_id)
    if results is None:
        return CommandResult(t("survey.err.no_survey", LANG, id=survey_id), ok=False)
    files = await asyncio.to_thread(_files, services, results)
    return CommandResult(_results_text(results), files=files)


COMMANDS = {
    "survey_send": StaffCommand("survey_send", Role.SUPERVISOR, _send, raw=True),
    "survey_results": StaffCommand("survey_results", Role.AGENT, _results),
}
