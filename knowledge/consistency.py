"""`kb check`: the knowledge base is valid, agrees with the guide, is calibrated, gives a
referral in every high-risk answer and rests on no expired policy (issue 17)."""
from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from .texts import cli_lang, t

from .calibration import calibration_path, read_calibration
from .freshness import freshness_problems
from .guide import parse_guide
from .importer import merged_entry
from .loader import check_directory
from .model import KnowledgeBase
from .problems import Problem
from .referral import referral_problems


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


def print_warnings(warnings: list[Problem]) -> None:
    """Default for `check_all(warn=…)`: the warnings on stderr, like the problems."""
    if warnings:
        print(t("check.warnings", cli_lang(), count=len(warnings)), file=sys.stderr)
        for warning in warnings:
            print(f"  {warning}", file=sys.stderr)


def check_all(directory: Path, guide_dir: Path | None = None, today: date | None = None,
              warn: Callable[[list[Problem]], None] | None = print_warnings
              ) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Knowledge base and problems (any problem fails the check). Warnings, which do not fail
    it (entries past their review date), go to `warn`, by default printed on stderr."""
    lang = cli_lang()
    kb, problems = check_directory(directory, lang)
    if kb is None:
        return None, problems
    problems.extend(referral_problems(kb, lang))
    expired, warnings = freshness_problems(kb, today or date.today(), lang)
    problems.extend(expired)
    if warn is not None:
        warn(warnings)
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
