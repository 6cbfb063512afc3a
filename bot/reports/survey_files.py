"""A survey's results as files: the answers as a workbook (one row per enterprise) and the
choice questions as a PNG chart. Blocking: run in a thread."""
from __future__ import annotations

from pathlib import Path

import xlsxwriter

from ..foundation.i18n import t
from ..outreach.surveys import Results


def write_answers(results: Results, path: Path, lang: str) -> Path:
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                           "strings_to_numbers": False,
                                           "strings_to_urls": False})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    sheet = book.add_worksheet(t("survey.sheet", lang))
    questions = results.definition.questions
    sheet.write_row(0, 0, [t("survey.col_enterprise", lang), *(q.text for q in questions)],
                    header)
    sheet.set_column(0, len(questions), 24)
    for row, (enterprise, answers) in enumerate(results.rows, 1):
        sheet.write_string(row, 0, enterprise)
        for column, question in enumerate(questions, 1):
            value = answers.get(question.id)
            if value is not None:
                sheet.write_string(row, column, "、".join(value) if isinstance(value, list)
                                   else str(value))
    book.close()
    return path
