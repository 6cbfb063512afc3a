"""`sme-assistant` / `python -m bot`: run the assistant and manage its knowledge base and database.

Heavy modules are imported inside the commands so that `sme-assistant ask` starts fast.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import json
import sys
from pathlib import Path

from .foundation.settings import ConfigError, Settings, load_settings
from .foundation.i18n import cli_lang, t
from .foundation.logs import configure_logging


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


def cmd_kb_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.calibration import (Example, calibrate, load_out_of_scope, phrasing_examples,
                                       write_calibration)
    from knowledge.evaluation import EVAL_DIR, examples, load_questions
    from knowledge.loader import check_directory
    from knowledge.normalize import normalize
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
    for ranker in rankers:
        train = (examples(questions) + [Example(normalize(q), frozenset(), "near")
                                        for q in out_of_scope]
                 if questions else phrasing_examples(ranker, out_of_scope))
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
    data = {
        "question": reply.question,
        "matched": reply.entry is not None,
        "id": best.entry.id if best else None,
        "score": round(best.score, 4) if best else 0.0,
        "answer": reply.entry.answer if reply.entry else None,
        "suggestions": [{"id": c.entry.id, "question": c.entry.question,
                         "score": round(c.score, 4)} for c in (result.suggestions if result else [])],
    }
    if reply.problem:
        data["error"] = reply.problem.value
    return data


def _reply_text(reply, lang: str, max_chars: int) -> str:
    from .answering.answer_text import render_entry

    if reply.problem:
        return t(f"reply.{reply.problem.value}", lang, max=max_chars)
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
    assistant = Assistant(knowledge, None, settings.assistant.max_question_chars)
    lang = cli_lang()
    if args.question == ["-"]:
        out = sys.stdout
        for line in sys.stdin:
            reply = assistant.answer_only(line.rstrip("\n"))
            out.write(json.dumps(_reply_json(reply), ensure_ascii=False) + "\n")
        return 0
    reply = assistant.answer_only(" ".join(args.question))
    if args.json:
        print(json.dumps(_reply_json(reply), ensure_ascii=False))
    else:
        print(_reply_text(reply, lang, settings.assistant.max_question_chars))
    return 0


# ---- database and channels ------------------------------------------------------------------

def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
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


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """The needs ledger of a period as .xlsx or CSV."""
    from datetime import datetime

    from storage.db import create_engine, session_factory
    from storage.migrate import upgrade

    from .foundation.periods import PeriodError, parse_period
    from .reports.export import export_ledger, file_name
    from .foundation.workcalendar import WorkCalendar

    calendar = WorkCalendar(settings.calendar)
    try:
        period = parse_period(args.period, calendar.tz, datetime.now(calendar.tz).date())
    except PeriodError:
        print(t("report.bad_period_cli", cli_lang(), period=args.period), file=sys.stderr)
        return 2
    output = Path(args.output) if args.output else settings.reports.dir / file_name(
        period, args.format)
    output.parent.mkdir(parents=True, exist_ok=True)

    async def run() -> int:
        engine = create_engine(settings.database.url)
        try:
            await upgrade(engine)
            return await export_ledger(session_factory(engine), period, calendar, args.format,
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
    # The conversation is the output here: routine log lines would interleave with it.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    from .channels.console_chat import run_console
    from .app.services import running_services

    async def run() -> None:
        async with running_services(settings) as services:
            await run_console(services, settings.assistant.default_language)

    asyncio.run(run())
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

    ledger = sub.add_parser("export", help="the needs ledger (台账) of a period as xlsx or csv")
    ledger.add_argument("--period", default="month",
                        help="today, week, month, 2026-11, 2026-01-01..2026-03-31 (default: month)")
    ledger.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
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
