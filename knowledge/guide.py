"""Parse the risk-prevention guide (`knowledge/guide/*.md`, format in its README.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .texts import cli_lang, t

from .problems import Problem

HEADING_RE = re.compile(r"^##\s+(?P<question>.+?)\s*\{#(?P<id>[^}]*)\}\s*$")
FIELD_RE = re.compile(
    r"^- \*\*(?P<key>来源|审核|其他问法|相关|风险|有效期至|复核)\*\*\s*[：:]\s*(?P<value>.*)$")
# `- **风险**：高` becomes `risk: high` in the YAML; no other level is written down.
RISK_VALUES = {"高": "high"}
DATE_FIELDS = {"有效期至": "valid_until", "复核": "review_by"}
ITEM_RE = re.compile(r"^\s+[-*]\s+(?P<item>.+?)\s*$")
LIST_SPLIT_RE = re.compile(r"[、,，\s]+")
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class GuideEntry:
    id: str
    question: str
    category: str
    line: int
    answer: str = ""
    source: str = ""
    updated: date | None = None
    alternates: list[str] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    risk: str | None = None
    valid_until: date | None = None
    review_by: date | None = None


@dataclass
class Chapter:
    path: Path
    title: str
    entries: list[GuideEntry]

    @property
    def slug(self) -> str:
        return self.path.stem


def chapter_files(guide_dir: Path) -> list[Path]:
    return sorted(p for p in guide_dir.glob("*.md") if p.name.upper() != "README.MD")


def _clean_answer(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def parse_chapter(path: Path, lang: str | None = None) -> tuple[Chapter | None, list[Problem]]:
    lang = lang or cli_lang()
    lines = path.read_text(encoding="utf-8").splitlines()
    problems: list[Problem] = []
    title_line = next((i for i, line in enumerate(lines) if line.strip()), None)
    if title_line is None or not lines[title_line].startswith("# "):
        return None, [Problem(path, (title_line or 0) + 1, t("guide.no_title", lang))]
    title = lines[title_line][2:].strip()
    entries: list[GuideEntry] = []
    current: GuideEntry | None = None
    body: list[str] = []
    field_key: str | None = None

    def finish() -> None:
        if current is None:
            return
        current.answer = current.answer or _clean_answer(body)
        for key, value in (("正文", current.answer), ("来源", current.source)):
            if not value:
                problems.append(Problem(path, current.line, t("guide.missing", lang,
                                                               id=current.id, field=key)))
        if current.updated is None:
            problems.append(Problem(path, current.line, t("guide.missing", lang, id=current.id,
                                                           field="审核")))
        entries.append(current)

    for number, line in enumerate(lines[title_line + 1 :], start=title_line + 2):
        if line.startswith("## "):
            finish()
            body, field_key = [], None
            match = HEADING_RE.match(line)
            if not match or not ID_RE.match(match["id"]):
                problems.append(Problem(path, number, t("guide.bad_heading", lang)))
                current = None
                continue
            current = GuideEntry(match["id"], match["question"], title, number)
            continue
        if current is None:
            continue
        match = FIELD_RE.match(line)
        if match:
            if not current.answer:
                current.answer = _clean_answer(body)
            field_key, value = match["key"], match["value"].strip()
            if field_key == "来源":
                current.source = value
            elif field_key == "审核":
                try:
                    current.updated = date.fromisoformat(value)
                except ValueError:
                    problems.append(Problem(path, number, t("guide.bad_date", lang, value=value)))
            elif field_key == "相关":
                current.follow_ups = [v for v in LIST_SPLIT_RE.split(value) if v]
            elif field_key == "风险":
                if value in RISK_VALUES:
                    current.risk = RISK_VALUES[value]
                else:
                    problems.append(Problem(path, number, t("check.guide_bad_risk", lang, value=value)))
            elif field_key in DATE_FIELDS:
                try:
                    setattr(current, DATE_FIELDS[field_key], date.fromisoformat(value))
                except ValueError:
                    problems.append(Problem(path, number, t("check.bad_field_date", lang,
                                                             field=field_key, value=value)))
            elif value:
                current.alternates.append(value)
            continue
        item = ITEM_RE.match(line)
        if field_key == "其他问法" and item:
            current.alternates.append(item["item"])
        elif field_key is not None and line.strip():
            problems.append(Problem(path, number, t("guide.text_after_fields", lang)))
        elif field_key is None:
            body.append(line)
    finish()
    return Chapter(path, title, entries), problems


def parse_guide(guide_dir: Path, lang: str | None = None) -> tuple[list[Chapter], list[Problem]]:
    chapters, problems = [], []
    for path in chapter_files(guide_dir):
        chapter, found = parse_chapter(path, lang)
        problems.extend(found)
        if chapter:
            chapters.append(chapter)
    return chapters, problems
