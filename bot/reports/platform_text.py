"""The platform's report as a chat message (HTML), and the amounts in the units it uses."""
from __future__ import annotations

from ..foundation.i18n import t
from .platform_report import PlatformReport

SOURCES = ("chat", "phone", "visit", "survey", "event")
YUAN_PER_WAN = 10_000


def wan(yuan: int) -> str:
    """Whole yuan as 万元, two decimals at most: 5000000 → `500`, 123456 → `12.35`."""
    return f"{yuan / YUAN_PER_WAN:,.2f}".rstrip("0").rstrip(".")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def by_source(counts: dict[str, int], lang: str) -> str:
    items = [f"{t(f'platform.source.{s}', lang)} {counts[s]}" for s in SOURCES if counts.get(s)]
    return "、".join(items) or "—"


def report_text(report: PlatformReport, lang: str) -> str:
    period = report.period
    mark = "report_target_met" if report.target_met else "report_target_missed"
    lines = [
        t("platform.report.title", lang, period=period.label, first=period.first_day,
          last=period.last_day),
        t("platform.report.served", lang, count=report.served,
          sources=by_source(report.served_by_source, lang)),
        t("platform.report.needs", lang, count=report.needs,
          sources=by_source(report.needs_by_source, lang)),
        t("platform.report.resolved", lang, count=report.resolved, rate=percent(report.rate),
          target=percent(report.target), mark=t(f"platform.{mark}", lang)
          if report.rate is not None else ""),
        t("platform.report.visits", lang, visits=report.visits, enterprises=report.visited),
        t("platform.report.projects", lang, count=report.approved_enterprises),
    ]
    for (programme, level), count in sorted(report.approved.items(),
                                            key=lambda kv: (-kv[1], kv[0])):
        lines.append(t("platform.report.project_line", lang, programme=programme, level=level,
                       count=count))
    lines += [
        t("platform.report.financing", lang, count=report.financed,
          credit=wan(report.credit_yuan), yi=f"{report.credit_yuan / 1e8:,.2f}",
          disbursed=wan(report.disbursed_yuan)),
        t("platform.report.legal", lang, count=report.legal_enterprises,
          needs=report.legal_needs, recovered=wan(report.recovered_yuan)),
    ]
    if report.events:
        lines.append(t("platform.report.events", lang, events=report.events,
                       signups=report.event_signups, attended=report.event_attended))
    if report.surveys or report.survey_answered:
        lines.append(t("platform.report.surveys", lang, surveys=report.surveys,
                       invited=report.survey_invited, answered=report.survey_answered))
    lines.append(t("platform.report.basis", lang))
    return "\n".join(lines)
