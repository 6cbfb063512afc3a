"""Ledger writers: .xlsx (xlsxwriter, streamed row by row, with a statistics sheet) and CSV
(UTF-8 with a BOM, so that Excel and WPS detect the encoding). Blocking: run in a thread.

Enterprise-typed text is never taken for a formula: the workbook stores every text as a
string, and CSV cells that a spreadsheet would evaluate are prefixed with an apostrophe.
"""
from __future__ import annotations

import csv
from dataclasses import fields
from datetime import datetime
from pathlib import Path

import xlsxwriter

from ..foundation.i18n import t
from ..requests.ticket_views import category_label, status_label
from .ledger import LedgerRow
from .stats import Stats

COLUMNS = [f.name for f in fields(LedgerRow)]
WIDTHS = {"number": 8, "filed": 17, "company": 28, "credit_code": 22, "contact_name": 10,
          "phone": 15, "industry": 12,
          "category": 12, "description": 50, "status": 10, "handler": 12,
          "first_response": 17, "first_response_h": 13, "finished": 17, "resolution_h": 13,
          "rating": 8, "department": 18, "followup": 10}
DATETIME = "%Y-%m-%d %H:%M"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def headers(lang: str) -> list[str]:
    return [t(f"report.col.{name}", lang) for name in COLUMNS]


class XlsxLedger:
    def __init__(self, path: Path, lang: str) -> None:
        self.lang = lang
        self.book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_numbers": False,
            "strings_to_formulas": False, "strings_to_urls": False})
        self.header = self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                            "valign": "vcenter"})
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.decimal = self.book.add_format({"num_format": "0.0"})
        self.percent = self.book.add_format({"num_format": "0.0%"})
        self.ledger = self.book.add_worksheet(t("report.sheet_ledger", lang))
        self.summary = self.book.add_worksheet(t("report.sheet_stats", lang))
        for column, name in enumerate(COLUMNS):
            self.ledger.set_column(column, column, WIDTHS[name])
        self.ledger.write_row(0, 0, headers(lang), self.header)
        self.ledger.freeze_panes(1, 0)
        self.row = 1

    def add(self, rows: list[LedgerRow]) -> None:
        for item in rows:
            for column, name in enumerate(COLUMNS):
                self._cell(self.ledger, self.row, column, getattr(item, name))
            self.row += 1

    def _cell(self, sheet, row: int, column: int, value) -> None:
        if value is None or value == "":
            return
        if isinstance(value, datetime):
            sheet.write_datetime(row, column, value.replace(tzinfo=None), self.date)
        elif isinstance(value, float):
            sheet.write_number(row, column, value, self.decimal)
        elif isinstance(value, int):
            sheet.write_number(row, column, value)
        else:
            sheet.write_string(row, column, str(value))

    def add_stats(self, stats: Stats) -> None:
        lang, sheet = self.lang, self.summary
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 5, 16)
        label = lambda key: t(f"report.sheet.{key}", lang)  # noqa: E731
        period = stats.period
        figures = [("period", f"{period.label}（{period.first_day} – {period.last_day}）"),
                   ("enterprises", stats.enterprises), ("logged", stats.logged),
                   ("resolved", stats.resolved), ("rate", stats.resolution_rate),
                   ("first_response", stats.first_response_h),
                   ("resolution", stats.resolution_h),
                   ("rating_average", stats.rating_average), ("rated", stats.rated)]
        for row, (key, value) in enumerate(figures):
            sheet.write_string(row, 0, label(key))
            if key == "rate" and value is not None:
                sheet.write_number(row, 1, value, self.percent)
            else:
                self._cell(sheet, row, 1, value)
        tables = [
            (["category", "count"], [[category_label(c, lang), n]
                                     for c, n in stats.by_category.items()]),
            (["status", "count"], [[status_label(s, lang), n]
                                   for s, n in stats.by_status.items()]),
            (["score", "count"], [[score, stats.ratings.get(score, 0)]
                                  for score in range(5, 0, -1)]),
            (["staff", "handled", "resolved_short", "first_response_short",
              "resolution_short", "rating_short"],
             [[s.name, s.handled, s.resolved, s.first_response_h, s.resolution_h, s.rating]
              for s in stats.staff]),
        ]
        row = len(figures)
        for heading, body in tables:
            sheet.write_row(row + 1, 0, [label(key) for key in heading], self.header)
            row += 2
            for values in body:
                for column, value in enumerate(values):
                    self._cell(sheet, row, column, value)
                row += 1
        sheet.write_string(row + 1, 0, t("report.basis", lang))

    def close(self) -> None:
        if self.row > 1:
            self.ledger.autofilter(0, 0, self.row - 1, len(COLUMNS) - 1)
        self.book.close()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATETIME)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return str(value)


class CsvLedger:
    def __init__(self, path: Path, lang: str) -> None:
        self.file = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.file)
        self.writer.writerow(headers(lang))

    def add(self, rows: list[LedgerRow]) -> None:
        self.writer.writerows([_text(getattr(item, name)) for name in COLUMNS]
                              for item in rows)

    def close(self) -> None:
        self.file.close()


WRITERS = {"xlsx": XlsxLedger, "csv": CsvLedger}
