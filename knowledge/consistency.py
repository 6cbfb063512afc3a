"""`kb check`: the knowledge base is valid, agrees with the guide, and is calibrated."""
from __future__ import annotations

from pathlib import Path

from .texts import cli_lang, t

from .calibration import calibration_path, read_calibration
from .guide import parse_guide
from .importer import merged_entry
from .loader import check_directory
from .model import KnowledgeBase
from .problems import Problem


def guide_problems(kb: KnowledgeBase, guide_dir: Path, lang: str) -> list[Problem]:
    chapters, problems = parse_guide(guide_dir, lang)
    if problems:
        return problems
    by_file: dict[str, dict[str, object]] = {}
    for entry in kb.entries:
        by_file.setdefault(entry.file.stem if entry.file else "", {})[entry.id] = entry
    for chapter in chapters:
        in_yaml = dict(by_file.get(chapter.slug, {}))
        target = kb.directory / f"{chapter.slug}.yaml"
        for guide_entry in chapter.entries:
            entry = in_yaml.pop(guide_entry.id, None)
            if entry is None:
                problems.append(Problem(chapter.path, guide_entry.line,
                                        t("guide.not_imported", lang, id=guide_entry.id)))
            elif merged_entry(guide_entry, entry).to_dict() != entry.to_dict():
                problems.append(Problem(entry.file, entry.line,
                                        t("guide.differs", lang, id=guide_entry.id)))
        for entry_id, entry in in_yaml.items():
            problems.append(Problem(target, entry.line, t("guide.not_in_guide", lang,
                                                          id=entry_id)))
    return problems


def check_all(directory: Path, guide_dir: Path | None = None
              ) -> tuple[KnowledgeBase | None, list[Problem]]:
    lang = cli_lang()
    kb, problems = check_directory(directory, lang)
    if kb is None:
        return None, problems
    guide_dir = guide_dir or directory.parent / "guide"
    if guide_dir.is_dir():
        problems.extend(guide_problems(kb, guide_dir, lang))
    calibration = read_calibration(directory)
    if calibration is None:
        problems.append(Problem(calibration_path(directory), None,
                                t("kb.missing_calibration", lang)))
    elif calibration.fingerprint != kb.fingerprint:
        problems.append(Problem(calibration_path(directory), None,
                                t("kb.stale_calibration", lang)))
    return (kb if not problems else None), problems
