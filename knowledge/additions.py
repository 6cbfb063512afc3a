"""The staff additions file: phrasings attached to entries and drafted entries (/attach, /draft).

`staff_additions.yaml` lives next to the chapter files and is read by the loader like them
(plus its `extends` records). Each record is appended under a comment saying who added it,
when and from what, and, when numbered, its addition number (`# 添加 N：…`), by which it can be
removed again (/undo_addition N). The whole knowledge base is checked by the loader as if the
change were already written; only then is the file replaced (atomically). Guide imports never
write it.
"""
from __future__ import annotations

import os
import re
from contextlib import suppress
from datetime import date
from pathlib import Path

from .texts import t

import yaml

from .importer import dump_yaml
from .loader import STAFF_FILE, check_directory
from .model import KnowledgeBase
from .problems import Problem

LANG = "zh-CN"
NUMBERED = re.compile(r"^# 添加 (\d+)：", re.MULTILINE)
HEADER = (
    "# 工作人员用 /attach（为条目追加其他问法）和 /draft（新条目草稿）添加的内容，/reload 后生效。\n"
    "# 请审核：草稿核实后可写入指南（knowledge/guide/）再从这里删除；`kb import` 不会改动本文件。\n"
    "# 内容变化后请重新校准阈值：sme-assistant kb calibrate\n"
)


def extension(entry_id: str, alternates: list[str]) -> dict:
    return {"extends": entry_id, "alternates": alternates}


def draft(entry_id: str, question: str, alternates: list[str], answer: str, source: str,
          updated: date, category: str) -> dict:
    """In the order of the chapter files (`Entry.to_dict`)."""
    return {"id": entry_id, "question": question, "alternates": alternates, "answer": answer,
            "source": source, "updated": updated, "category": category}


def category_of(kb: KnowledgeBase, name: str) -> tuple[str, str] | None:
    """The category named `name` (or whose entry ids start with `name-`) and that id prefix."""
    for entry in kb.entries:
        prefix = entry.id.split("-", 1)[0]
        if name in (entry.category, prefix):
            return entry.category, prefix
    return None


def free_id(kb: KnowledgeBase, prefix: str) -> str:
    number = 1
    while kb.get(f"{prefix}-staff-{number}") is not None:
        number += 1
    return f"{prefix}-staff-{number}"


class StaffAdditions:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / STAFF_FILE

    def current(self) -> tuple[KnowledgeBase | None, list[Problem]]:
        """The knowledge base as it is on disk, with additions not yet reloaded."""
        return check_directory(self.directory, LANG)

    def _read(self) -> tuple[str, list[Problem]]:
        try:
            return (self.path.read_text(encoding="utf-8") if self.path.exists() else HEADER), []
        except (OSError, UnicodeDecodeError) as exc:
            return "", [Problem(self.path, None, t("kb.unreadable", LANG, error=exc))]

    def next_number(self) -> int:
        """The number the next addition gets: one more than any in the file."""
        text, _ = self._read()
        return max(map(int, NUMBERED.findall(text)), default=0) + 1

    def append(self, record: dict, note: str, number: int | None = None) -> list[Problem]:
        """Append `record` under the comment `note` (numbered `number`), unless the loader
        finds a problem."""
        existing, problems = self._read()
        if problems:
            return problems
        comment = " ".join(note.split())  # a line break would end the comment
        if number is not None:
            comment = f"添加 {number}：{comment}"
        return self._replace(f"{existing.rstrip()}\n\n# {comment}\n{dump_yaml([record])}")

    def remove(self, number: int) -> tuple[dict | None, list[Problem]]:
        """Take addition `number` out of the file, unless the rest no longer loads (a later
        addition extends the drafted entry): the record removed, or None when there is none."""
        text, problems = self._read()
        if problems:
            return None, problems
        block = _block(text, number)
        if block is None:
            return None, []
        start, end = block
        records = yaml.safe_load(text[start:end])
        problems = self._replace(text[:start].rstrip() + "\n" + (
            "\n" + text[end:].lstrip("\n") if text[end:].strip() else ""))
        return (records[0] if isinstance(records, list) and records else {}), problems

    def _replace(self, text: str) -> list[Problem]:
        """Write `text` as the file if the knowledge base loads with it."""
        _, problems = check_directory(self.directory, LANG, staged={STAFF_FILE: text})
        if problems:
            return problems
        partial = self.path.with_name(f".{STAFF_FILE}.partial")
        try:
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, self.path)
        except OSError as exc:
            with suppress(OSError):
                partial.unlink(missing_ok=True)
            return [Problem(self.path, None, t("staff_kb.unwritable", LANG, error=exc))]
        return []


def _block(text: str, number: int) -> tuple[int, int] | None:
    """Where addition `number` is in the file: from its comment to the next record or comment
    at the start of a line (the record's own lines are indented or continue its list item)."""
    for match in NUMBERED.finditer(text):
        if int(match[1]) != number:
            continue
        lines = text[match.start():].splitlines(keepends=True)
        end, seen_item = match.start() + len(lines[0]), False
        for line in lines[1:]:
            if line.startswith("#") or (line.startswith("- ") and seen_item):
                break
            seen_item = seen_item or line.startswith("- ")
            end += len(line)
        return match.start(), end
    return None
