"""`sme-assistant` / `python -m bot`: run the assistant and manage its knowledge base and database.

Heavy modules are imported inside the commands so that `sme-assistant ask` starts fast.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .foundation.settings import ConfigError, Settings, load_settings
from .foundation.i18n import cli_lang, t
from .foundation.logs import configure_logging, log_to_file


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(Path(args.config) if args.config else None)
    configure_logging(settings)
    return settings


def _kb_dir(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.kb) if getattr(args, "kb", None) else settings.knowledge_dir


def _print_problems(problems) -> None:
    print(t("cli.kb_problems", cli_lang(), count=len(problems)), file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def _local_today(settings: Settings) -> date:
    """Today in the platform's time zone (`calendar.timezone`)."""
    return datetime.now(ZoneInfo(settings.calendar.timezone)).date()


# ---- knowledge base -------------------------------------------------------------------------

def cmd_kb_check(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.consistency import check_all

    directory = Path(args.dir) if args.dir else settings.knowledge_dir
    kb, problems = check_all(directory, Path(args.guide) if args.guide else None)
    if problems:
        _print_problems(problems)
        return 1
    print(t("cli.kb_ok", cli_lang(), entries=len(kb.entries),
            phrasings=sum(len(e.phrasings) for e in kb.entries),
            categories=len(kb.categories), path=directory))
    return 0


def cmd_kb_status(args: argparse.Namespace, settings: Settings) -> int:
    """What expires or falls due for review soon, and what was reviewed longest ago."""
    from knowledge.loader import check_directory

    from .answering import kb_status
    from .delivery.outgoing import plain_text

    try:
        today = date.fromisoformat(args.today) if args.today else _local_today(settings)
    except ValueError:
        print(t("cli.bad_today", cli_lang(), value=args.today), file=sys.stderr)
        return 2
    kb, problems = check_directory(_kb_dir(args, settings))
    if kb is None:
        _print_problems(problems)
        return 1
    found = kb_status.report(kb, today, args.days)
    if args.json:
        print(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(plain_text(kb_status.status_text(found, cli_lang())))
    return 0


def cmd_kb_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.calibration import (calibrate, load_out_of_scope, phrasing_examples,
                                       with_negatives, write_calibration)
    from knowledge.evaluation import EVAL_DIR, examples, load_questions
    from knowledge.loader import check_directory
    from knowledge.ranking import LexicalRanker, Phrasings, SemanticRanker
    from knowledge.semantic import load_encoder
    from knowledge.service import BUNDLED_DIR

    directory = _kb_dir(args, settings)
    kb, problems = check_directory(directory)
    if kb is None:
        _print_problems(problems)
        return 1
    out_of_scope = load_out_of_scope(directory)
    # The development set is labelled for the bundled knowledge base; another one (a test
    # fixture, a city's own) is calibrated on its alternates unless a set is given.
    bundled = directory.resolve() == BUNDLED_DIR.resolve()
    devset = Path(args.devset) if args.devset else EVAL_DIR / "dev"
    questions = load_questions(devset) if (args.devset or bundled) and devset.is_dir() else []
    unknown = sorted({i for q in questions for i in q.ids} - set(kb.by_id))  # type: ignore[attr-defined]
    if unknown:
        print(t("cli.devset_unknown", cli_lang(), ids="、".join(unknown)))
        return 1
    phrasings = Phrasings(kb)
    rankers = [LexicalRanker(kb, phrasings)]
    encoder = None if settings.knowledge.semantic == "off" else load_encoder(
        settings.knowledge.cache_dir)
    if encoder is not None:
        rankers.append(SemanticRanker(kb, encoder, phrasings))
    elif settings.knowledge.semantic != "off":
        print(t("cli.semantic_missing", cli_lang()))
    results = {}
    if encoder is not None and questions:  # embedded once, cached beside the phrasings
        rankers[-1].cache_questions([q.text for q in questions])
    for ranker in rankers:
        train = (with_negatives(examples(questions), out_of_scope) if questions
                 else phrasing_examples(ranker, out_of_scope))
        results[ranker.name] = calibrate(ranker, train)
    path = write_calibration(directory, kb.fingerprint, results)
    for name, (model, summary) in results.items():
        print(t("cli.calibrated", cli_lang(), mode=name, path=path,
                answer_at=round(model.answer_at, 3), suggest_at=round(model.suggest_at, 3),
                source=devset if questions else "alternates",
                direct_correct=summary.get("direct_correct", 0.0),
                direct_wrong=summary.get("direct_wrong", 0.0),
                near_not_direct=summary.get("near_not_direct", 0.0)))
    return 0


def cmd_kb_export(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.loader import check_directory

    kb, problems = check_directory(_kb_dir(args, settings))
    if kb is None:
        _print_problems(problems)
        return 1
    json.dump([e.to_dict() for e in kb.entries], sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def cmd_kb_import(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.importer import import_guide

    faq = Path(args.faq) if args.faq else settings.knowledge_dir
    report, problems = import_guide(Path(args.guide), faq)
    if problems:
        _print_problems(problems)
        return 1
    lang = cli_lang()
    print(t("cli.imported", lang, guide=args.guide, faq=faq, entries=report.total,
            added=len(report.added), updated=len(report.updated), unchanged=report.unchanged))
    if report.removed:
        print(t("cli.import_removed", lang, ids="、".join(report.removed)))
    return 0


# ---- questions ------------------------------------------------------------------------------

def _reply_json(reply) -> dict:
    result = reply.result
    best = result.best if result else None
    listed = lambda candidates: [{"id": c.entry.id, "question": c.entry.question,  # noqa: E731
                                  "score": round(c.score, 4)} for c in candidates]
    entry = reply.entry
    data = {
        "question": reply.question,
        "matched": entry is not None,
        "decision": reply.decision.value if reply.decision else None,
        "confidence": round(result.confidence, 4) if result else None,
        "id": best.entry.id if best else None,
        "score": round(best.score, 4) if best else 0.0,
        "answer": entry.answer if entry else None,
        "source": entry.source if entry else None,
        "updated": entry.updated.isoformat() if entry else None,
        "under_review": reply.under_review,
        "related": listed(result.related if result else []),
        "suggestions": listed(result.suggestions if result else []),
    }
    if reply.problem:
        data["error"] = reply.problem.value
    if reply.small_talk:
        data["small_talk"] = reply.small_talk.value
    if reply.foreign:
        data["foreign"] = True
    return data


def _reply_text(reply, lang: str, max_chars: int) -> str:
    from .answering.answer_text import render_entry, render_under_review

    if reply.problem:
        return t(f"reply.{reply.problem.value}", lang, max=max_chars)
    if reply.under_review and reply.matched:
        return render_under_review(reply.matched, lang)
    if reply.entry:
        return render_entry(reply.entry, lang)
    if reply.suggestions:
        items = "\n".join(f"  - {e.question} ({e.id})" for e in reply.suggestions)
        return f"{t('cli.ask_suggestions', lang)}\n{items}"
    return t("cli.ask_no_answer", lang)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.service import KnowledgeService

    from .answering.assistant import Assistant

    if not args.question:
        print(t("cli.no_question", cli_lang()), file=sys.stderr)
        return 2
    knowledge = KnowledgeService(_kb_dir(args, settings), settings.knowledge.semantic,
                                 settings.knowledge.cache_dir)
    knowledge.load()
    lang = cli_lang()
    if knowledge.needs_warm_up:  # the bot's matcher, not a lexical stand-in
        print(t("cli.warming_up", lang), file=sys.stderr)
        knowledge.warm_up()
    assistant = Assistant(knowledge, None, settings.assistant.max_question_chars,
                          today=lambda: _local_today(settings))
    mode = knowledge.matcher.mode
    if args.question == ["-"]:
        out = sys.stdout
        for line in sys.stdin:
            reply = assistant.answer_only(line.rstrip("\n"))
            out.write(json.dumps({**_reply_json(reply), "mode": mode}, ensure_ascii=False) + "\n")
        return 0
    reply = assistant.answer_only(" ".join(args.question))
    if args.json:
        print(json.dumps({**_reply_json(reply), "mode": mode}, ensure_ascii=False))
    else:
        print(_reply_text(reply, lang, settings.assistant.max_question_chars))
    return 0


# ---- database and channels ------------------------------------------------------------------

def _quiet_alembic() -> None:
    """Alembic's INFO lines (plugins, each migration) are noise to whoever runs the command:
    it prints what it did itself."""
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    _quiet_alembic()  # before alembic is imported: it logs its plugins on import
    from storage.db import create_engine
    from storage.migrate import current_revision, downgrade, upgrade

    async def run() -> str | None:
        engine = create_engine(settings.database.url)
        try:
            if args.action == "upgrade":
                await upgrade(engine, args.revision or "head")
            elif args.action == "downgrade":
                await downgrade(engine, args.revision or "-1")
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = asyncio.run(run())
    key = "cli.db_current" if args.action == "current" else "cli.db_upgraded"
    print(t(key, cli_lang(), revision=revision))
    return 0


def cmd_updates(args: argparse.Namespace, settings: Settings) -> int:
    """Updates parked after failing `telegram.max_update_attempts` times, for an operator."""
    from storage.db import create_engine, session_factory
    from storage.inbound import InboundStore
    from storage.migrate import upgrade

    async def run():
        engine = create_engine(settings.database.url)
        try:
            await upgrade(engine)
            return await InboundStore(session_factory(engine)).failures()
        finally:
            await engine.dispose()

    lang, parked = cli_lang(), asyncio.run(run())
    if not parked:
        print(t("cli.updates_none", lang))
        return 0
    print(t("cli.updates_failed", lang, count=len(parked),
            attempts=settings.telegram.max_update_attempts))
    for row in parked:
        print(t("cli.updates_row", lang, update_id=row.update_id, failures=row.failures,
                received=f"{row.received_at:%Y-%m-%d %H:%M:%S}",
                parked=f"{row.parked_at:%Y-%m-%d %H:%M:%S}",
                error=(row.last_error or "").replace("\n", " ")))
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """The needs ledger of a period as .xlsx or CSV."""
    _quiet_alembic()
    from datetime import datetime

    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade

    from .foundation.periods import PeriodError, parse_period
    from .reports.export import FormatMismatch, export_ledger, file_name, output_format
    from .foundation.workcalendar import WorkCalendar

    calendar = WorkCalendar(settings.calendar)
    try:
        period = parse_period(args.period, calendar.tz, datetime.now(calendar.tz).date())
    except PeriodError:
        print(t("report.bad_period_cli", cli_lang(), period=args.period), file=sys.stderr)
        return 2
    try:
        fmt = output_format(args.format, args.output)
    except FormatMismatch as mismatch:
        print(t("report.format_mismatch_cli", cli_lang(), format=mismatch.requested,
                suffix=mismatch.suffix), file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else settings.reports.dir / file_name(period, fmt)
    output.parent.mkdir(parents=True, exist_ok=True)

    async def run() -> int:
        engine = create_engine(settings.database.url)
        try:
            await upgrade(engine)
            return await export_ledger(session_factory(engine), period, calendar, fmt,
                                       output, cli_lang())
        finally:
            await engine.dispose()

    rows = asyncio.run(run())
    print(t("report.cli_exported", cli_lang(), rows=rows, period=period.label, path=output))
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """The platform's report of a period: text on stdout, the sheet and the chart as files."""
    from datetime import datetime

    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade

    from .delivery.outgoing import plain_text
    from .foundation.periods import PeriodError, parse_period
    from .foundation.workcalendar import WorkCalendar
    from .reports import charts
    from .reports.platform_report import collect_report
    from .reports.platform_sheet import write_report
    from .reports.platform_text import report_text
    from .reports.report_files import new_report_dir

    lang = cli_lang()
    tz = WorkCalendar(settings.calendar).tz
    try:
        period = parse_period(args.period, tz, datetime.now(tz).date(), default="year")
    except PeriodError:
        print(t("report.bad_period_cli", lang, period=args.period), file=sys.stderr)
        return 2

    async def run():
        engine = create_engine(settings.database.url)
        try:
            await upgrade(engine)
            return await collect_report(session_factory(engine), period,
                                        settings.reports.resolution_target, settings.outcomes)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    folder = Path(args.output) if args.output else new_report_dir(
        settings.reports.dir, settings.reports.keep_days)
    folder.mkdir(parents=True, exist_ok=True)
    sheet = write_report(report, folder / f"platform-report-{period.label}.xlsx", lang)
    chart, _ = charts.render_report(report, folder, lang)
    print(plain_text(report_text(report, lang)))
    print(t("platform.cli_report", lang, period=period.label, sheet=sheet, chart=chart))
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """The terminal chat; Ctrl-C and Ctrl-D end it like /quit (exit code 0)."""
    log_to_file(settings)  # the conversation is the output: no log line among it
    from .channels.console_chat import run_console
    from .channels.console_terminal import foreground
    from .app.services import running_services

    async def run() -> None:
        async with running_services(settings) as services:
            await run_console(services, settings.assistant.default_language)

    with foreground():  # Ctrl-C reaches the chat alone, not `make run` around it
        try:
            asyncio.run(run())
        except KeyboardInterrupt:  # the chat has said goodbye already
            pass
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Telegram long polling."""
    if settings.telegram.token is None:
        print(t("cli.no_token", cli_lang()), file=sys.stderr)
        return 2
    from .channels.telegram_runner import run_polling

    print(t("cli.telegram_polling", cli_lang()))
    return run_polling(settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Telegram webhook behind the project's aiohttp server."""
    if settings.telegram.token is None:
        print(t("cli.no_token", cli_lang()), file=sys.stderr)
        return 2
    if settings.telegram.webhook_secret is None:
        print(t("cli.no_webhook_secret", cli_lang()), file=sys.stderr)
        return 2
    from .channels.telegram_runner import run_webhook

    print(t("cli.telegram_webhook", cli_lang(), host=settings.web.host, port=settings.web.port))
    return run_webhook(settings)


def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    """What `make run` starts: Telegram when a token is set, the terminal chat otherwise."""
    if settings.telegram.token is None:
        return cmd_chat(args, settings)
    return cmd_run(args, settings)


def _days(text: str) -> int:
    """A horizon for `kb status` (kb_status.HORIZON_DAYS and MAX_DAYS are written out here: the
    parser is built for every command and must not import the knowledge modules)."""
    if not (text.isdecimal() and 1 <= int(text) <= 3660):
        raise argparse.ArgumentTypeError(t("cli.bad_days", cli_lang(), value=text))
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sme-assistant", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="config.yaml path (default: $SME_CONFIG or ./config.yaml)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("start", help="terminal chat, or Telegram when TELEGRAM_BOT_TOKEN is set"
                   ).set_defaults(func=cmd_start)
    sub.add_parser("chat", help="terminal chat").set_defaults(func=cmd_chat)
    sub.add_parser("run", help="Telegram bot, long polling").set_defaults(func=cmd_run)
    sub.add_parser("serve", help="Telegram bot, webhook + /healthz + /metrics"
                   ).set_defaults(func=cmd_serve)

    ask = sub.add_parser("ask", help="answer a question (or - for one per stdin line, as JSON)")
    ask.add_argument("--kb", help="knowledge base directory")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.add_argument("question", nargs="*")
    ask.set_defaults(func=cmd_ask)

    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="kb_command",
                                                                     required=True)
    check = kb.add_parser("check", help="validate (exit code 1 on any problem)")
    check.add_argument("dir", nargs="?")
    check.add_argument("--guide", help="guide directory to compare with (default: knowledge/guide)")
    check.set_defaults(func=cmd_kb_check)
    status = kb.add_parser("status", help="what expires or falls due for review within --days, "
                           "and what was reviewed longest ago, per chapter")
    status.add_argument("--kb")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.add_argument("--days", type=_days, default=90, help="horizon in days (default: 90)")
    status.add_argument("--today", help="the date to count from, YYYY-MM-DD (default: today "
                        "in calendar.timezone)")
    status.set_defaults(func=cmd_kb_status)
    calibrate = kb.add_parser("calibrate", help="fit the answer decision on the development set")
    calibrate.add_argument("--kb")
    calibrate.add_argument("--devset", help="development questions (default: tests/eval/dev; "
                           "without it the knowledge base's own alternates)")
    calibrate.set_defaults(func=cmd_kb_calibrate)
    export = kb.add_parser("export", help="export all entries")
    export.add_argument("--kb")
    export.add_argument("--json", action="store_true", required=True)
    export.set_defaults(func=cmd_kb_export)
    imp = kb.add_parser("import", help="build knowledge/faq/*.yaml from the guide")
    imp.add_argument("guide")
    imp.add_argument("--faq", help="target directory (default: the configured knowledge base)")
    imp.set_defaults(func=cmd_kb_import)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?")
    db.set_defaults(func=cmd_db)

    updates = sub.add_parser("updates", help="stored Telegram updates").add_subparsers(
        dest="updates_command", required=True)
    updates.add_parser("failed", help="list the updates parked after failing"
                       ).set_defaults(func=cmd_updates)

    ledger = sub.add_parser("export", help="the needs ledger (台账) of a period as xlsx or csv")
    ledger.add_argument("--period", default="month",
                        help="today, week, month, lastmonth, year, a month (2026-11), a day "
                        "(2026-11-27) or days (2026-01-01..2026-03-31); default: month")
    ledger.add_argument("--format", choices=["xlsx", "csv"],
                        help="default: from the --output suffix (.xlsx, .csv), else xlsx")
    ledger.add_argument("--output", help="file to write (default: in reports.dir)")
    ledger.set_defaults(func=cmd_export)

    platform = sub.add_parser("report", help="the platform's report (服务企业数, 解决率, outcomes)"
                              " of a period: text, an xlsx sheet and a PNG chart")
    platform.add_argument("period", nargs="?", default="year",
                          help="year, month, 2026-11, 2026-01-01..2026-12-31 (default: year)")
    platform.add_argument("--output", help="folder for the files (default: in reports.dir)")
    platform.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not getattr(args, "func", None):
        args.func = cmd_start
    try:
        settings = _settings(args)
        return args.func(args, settings)
    except ConfigError as exc:
        print(f"{t('cli.config_error', cli_lang())}\n{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: no tracebacks for users
        from knowledge.problems import KnowledgeBaseError

        if isinstance(exc, KnowledgeBaseError):
            _print_problems(exc.problems)
            return 1
        raise
