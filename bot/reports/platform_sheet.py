"""The platform's report as a one-page workbook (xlsxwriter), for staff to forward. Blocking:
run in a thread."""
from __future__ import annotations

from pathlib import Path

import xlsxwriter

from ..foundation.i18n import t
from .platform_report import PlatformReport
from .platform_text import SOURCES, YUAN_PER_WAN


def write_report(report: PlatformReport, path: Path, lang: str) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_numbers": False,
                                           "strings_to_urls": False})
    bold = book.add_format({"bold": True, "font_size": 14})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    percent = book.add_format({"num_format": "0.0%"})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet = book.add_worksheet(t("platform.sheet.name", lang))
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 3, 16)
    label = lambda key, **kw: t(f"platform.sheet.{key}", lang, **kw)  # noqa: E731
    period = report.period
    sheet.write_string(0, 0, label("title", period=period.label), bold)
    sheet.write_string(1, 0, f"{period.first_day} – {period.last_day}")
    rows = [("served", report.served, None), ("needs", report.needs, None),
            ("resolved", report.resolved, None), ("rate", report.rate, percent),
            ("target", report.target, percent), ("visits", report.visits, None),
            ("visited", report.visited, None),
            ("approved", report.approved_enterprises, None),
            ("financed", report.financed, None),
            ("credit", report.credit_yuan / YUAN_PER_WAN, money),
            ("disbursed", report.disbursed_yuan / YUAN_PER_WAN, money),
            ("legal", report.legal_enterprises, None), ("legal_needs", report.legal_needs, None),
            ("recovered", report.recovered_yuan / YUAN_PER_WAN, money),
            ("events", report.events, None), ("event_signups", report.event_signups, None),
            ("event_attended", report.event_attended, None),
            ("surveys", report.surveys, None), ("survey_invited", report.survey_invited, None),
            ("survey_answered", report.survey_answered, None)]
    row = 3
    for key, value, style in rows:
        sheet.write_string(row, 0, label(key))
        if value is not None:
            sheet.write_number(row, 1, value, style)
        row += 1
    if report.rate is not None:
        mark = "report_target_met" if report.target_met else "report_target_missed"
        sheet.write_string(6, 2, t(f"platform.{mark}", lang))
    row += 1
    sheet.write_row(row, 0, [label("source"), label("served_short"), label("needs_short")],
                    header)
    for source in SOURCES:
        if report.served_by_source.get(source) or report.needs_by_source.get(source):
            row += 1
            sheet.write_string(row, 0, t(f"platform.source.{source}", lang))
            sheet.write_number(row, 1, report.served_by_source.get(source, 0))
            sheet.write_number(row, 2, report.needs_by_source.get(source, 0))
    row += 2
    sheet.write_row(row, 0, [label("programme"), label("level"), label("approved_short")],
                    header)
    for (programme, level), count in sorted(report.approved.items()):
        row += 1
        sheet.write_row(row, 0, [programme, level])
        sheet.write_number(row, 2, count)
    sheet.write_string(row + 2, 0, t("platform.report.basis", lang))
    book.close()
    return path
