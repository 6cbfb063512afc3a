"""Build `knowledge/faq/*.yaml` from the guide, merging by id.

The guide owns question, answer, source, review date, category, follow-ups and the markers
of issue 17 (risk, valid_until, review_by). The YAML keeps
what staff added there: extra alternates survive a re-import, and an entry removed from the
guide stays in the YAML and is reported, never silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from .guide import Chapter, GuideEntry, parse_guide
from .loader import read_entry_file
from .model import Entry
from .normalize import normalize
from .problems import Problem

HEADER = (
    "# 由 `sme-assistant kb import knowledge/guide/` 从 knowledge/guide/{slug}.md 生成。\n"
    "# 问题、答案、来源、审核日期请在指南中修改；可以在这里为条目追加 alternates（其他问法），\n"
    "# 重新导入时会保留。\n"
)


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def total(self) -> int:
        return len(self.added) + len(self.updated) + self.unchanged


def merged_entry(guide: GuideEntry, existing: Entry | None) -> Entry:
    alternates = list(guide.alternates)
    taken = {normalize(guide.question), *map(normalize, alternates)}
    for alternate in existing.alternates if existing else ():
        if normalize(alternate) not in taken:
            alternates.append(alternate)
            taken.add(normalize(alternate))
    return Entry(
        id=guide.id, question=guide.question, answer=guide.answer, source=guide.source,
        updated=guide.updated or date.today(), category=guide.category,
        alternates=tuple(alternates), follow_ups=tuple(guide.follow_ups),
        risk=guide.risk, valid_until=guide.valid_until, review_by=guide.review_by,
    )


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: list[dict]) -> str:
    """Entries as the knowledge base writes them: keys in order, multi-line text as blocks."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def render_yaml(slug: str, entries: list[Entry]) -> str:
    data = []
    for entry in entries:
        item = entry.to_dict()
        item["updated"] = entry.updated
        for key in ("valid_until", "review_by"):
            if getattr(entry, key):
                item[key] = getattr(entry, key)
        data.append(item)
    return HEADER.format(slug=slug) + dump_yaml(data)


def _merge_chapter(chapter: Chapter, faq_dir: Path, report: ImportReport
                   ) -> tuple[str | None, list[Problem]]:
    target = faq_dir / f"{chapter.slug}.yaml"
    existing: dict[str, Entry] = {}
    if target.exists():
        entries, problems = read_entry_file(target, "zh-CN")
        if problems:
            return None, problems
        existing = {e.id: e for e in entries}
    merged = []
    for guide_entry in chapter.entries:
        old = existing.pop(guide_entry.id, None)
        new = merged_entry(guide_entry, old)
        if old is None:
            report.added.append(new.id)
        elif old.to_dict() != new.to_dict():
            report.updated.append(new.id)
        else:
            report.unchanged += 1
        merged.append(new)
    # Entries no longer in the guide are kept (and reported) until a person removes them.
    for leftover in existing.values():
        report.removed.append(leftover.id)
        merged.append(leftover)
    return render_yaml(chapter.slug, merged), []


def import_guide(guide_dir: Path, faq_dir: Path) -> tuple[ImportReport, list[Problem]]:
    chapters, problems = parse_guide(guide_dir)
    report = ImportReport()
    if problems:
        return report, problems
    outputs: dict[Path, str] = {}
    for chapter in chapters:
        text, found = _merge_chapter(chapter, faq_dir, report)
        problems.extend(found)
        if text is not None:
            outputs[faq_dir / f"{chapter.slug}.yaml"] = text
    if problems:
        return report, problems
    faq_dir.mkdir(parents=True, exist_ok=True)
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    return report, []
