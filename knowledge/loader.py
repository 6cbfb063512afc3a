"""Load and validate a knowledge-base directory (`*.yaml`, one file per topic).

`staff_additions.yaml` (written by the staff commands /attach and /draft) holds new entries and
records `{extends: <entry id>, alternates: [...]}` that add phrasings to an entry of another
file; alternates an entry already has are skipped, so a later guide import may adopt them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .texts import cli_lang, t

from .model import Entry, KnowledgeBase
from .normalize import normalize
from .problems import KnowledgeBaseError, Problem, yaml_error_problem
from .synonyms import load_synonyms

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REQUIRED = ("id", "question", "answer", "source", "updated", "category")
OPTIONAL = ("alternates", "follow_ups")
# Issue 17: the professional-referral marker and the two freshness dates (all optional).
MARKERS = ("risk", "valid_until", "review_by")
RISK_LEVELS = ("high",)
# Files next to the entries that are not entries themselves.
COMPANION_FILES = {"synonyms.yaml", "calibration.yaml", "out_of_scope.yaml"}
STAFF_FILE = "staff_additions.yaml"
EXTENSION_KEYS = ("extends", "alternates")


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~50× faster


class _LineLoader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader that records the line of every mapping and of each of its keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping = loader.construct_mapping(node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {
        k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)
    }
    return mapping


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode):
    """An impossible date (2026-13-45) stays a string so that validation can name it."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


@dataclass(frozen=True)
class Extension:
    """More phrasings for an entry defined in another file."""

    target: str
    alternates: tuple[str, ...]
    path: Path
    line: int | None


def entry_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name not in COMPANION_FILES)


def synonyms_path(directory: Path) -> Path:
    """`knowledge/faq/` keeps its synonyms beside it: `knowledge/synonyms.yaml`."""
    return directory.parent / "synonyms.yaml"


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _parse_markers(raw: dict, bad, lang: str) -> dict[str, Any]:
    """`risk`, `valid_until` and `review_by` of an entry; `bad(key, message)` reports a problem."""
    markers: dict[str, Any] = {"risk": None, "valid_until": None, "review_by": None}
    risk = raw.get("risk")
    if risk is not None:
        if isinstance(risk, str) and risk.strip() in RISK_LEVELS:
            markers["risk"] = risk.strip()
        else:
            bad("risk", t("check.bad_risk", lang, value=risk))
    for key in ("valid_until", "review_by"):
        value = raw.get(key)
        if value is None:
            continue
        parsed = _as_date(value)
        if parsed is None:
            bad(key, t("check.bad_field_date", lang, field=key, value=value))
        markers[key] = parsed
    return markers


def _parse_entry(raw: Any, path: Path, lang: str) -> tuple[Entry | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [Problem(path, None, t("kb.entry_not_mapping", lang))]
    line = raw.get("__line__")
    lines = raw.get("__lines__", {})
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(path, lines.get(key, line), message))

    for key in raw:
        if not key.startswith("__") and key not in REQUIRED + OPTIONAL + MARKERS:
            bad(key, t("kb.unknown_field", lang, field=key))
    for key in ("id", "question", "answer", "source", "category"):
        if _text(raw.get(key)) is None:
            bad(key, t("kb.missing_field", lang, field=key))
    entry_id = _text(raw.get("id"))
    if entry_id and not ID_RE.match(entry_id):
        bad("id", t("kb.bad_id", lang, id=entry_id))
    updated = raw.get("updated")
    if isinstance(updated, str):
        try:
            updated = date.fromisoformat(updated.strip())
        except ValueError:
            updated = None
    if not isinstance(updated, date):
        bad("updated", t("kb.bad_date", lang, value=raw.get("updated")))
    elif updated > date.today():
        bad("updated", t("kb.future_date", lang, value=updated.isoformat()))
    lists: dict[str, tuple[str, ...]] = {}
    for key in OPTIONAL:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(_text(v) for v in value):
            bad(key, t("kb.bad_list", lang, field=key))
            value = []
        lists[key] = tuple(v.strip() for v in value)
    markers = _parse_markers(raw, bad, lang)
    if problems:
        return None, problems
    return (
        Entry(
            id=entry_id,  # type: ignore[arg-type]
            question=raw["question"].strip(),
            answer=raw["answer"].strip(),
            source=raw["source"].strip(),
            updated=updated,  # type: ignore[arg-type]
            category=raw["category"].strip(),
            alternates=lists["alternates"],
            follow_ups=lists["follow_ups"],
            **markers,
            file=path,
            line=line,
        ),
        [],
    )


def _parse_extension(raw: dict, path: Path, lang: str) -> tuple[Extension | None, list[Problem]]:
    line = raw.get("__line__")
    lines = raw.get("__lines__", {})
    problems = [Problem(path, lines.get(key, line), t("staff_kb.unknown_extension_field", lang,
                                                      field=key))
                for key in raw if not key.startswith("__") and key not in EXTENSION_KEYS]
    target = _text(raw.get("extends"))
    if target is None:
        problems.append(Problem(path, line, t("kb.missing_field", lang, field="extends")))
    elif not ID_RE.match(target):
        problems.append(Problem(path, lines.get("extends", line), t("kb.bad_id", lang, id=target)))
    alternates = raw.get("alternates")
    if not isinstance(alternates, list) or not alternates or not all(map(_text, alternates)):
        problems.append(Problem(path, lines.get("alternates", line),
                                t("kb.bad_list", lang, field="alternates")))
    if problems or target is None or not isinstance(alternates, list):
        return None, problems
    return Extension(target, tuple(a.strip() for a in alternates), path, line), []


def _read_records(path: Path, text: str | None, lang: str
                  ) -> tuple[list[Entry], list[Extension], list[Problem]]:
    """Entries (and, in the staff file, extensions) of one file; `text` instead of its content."""
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        return [], [], [yaml_error_problem(path, exc)]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [], [Problem(path, None, t("kb.unreadable", lang, error=exc))]
    if data is None:
        return [], [], []
    if not isinstance(data, list):
        return [], [], [Problem(path, 1, t("kb.file_not_list", lang))]
    entries, extensions, problems = [], [], []
    for raw in data:
        if path.name == STAFF_FILE and isinstance(raw, dict) and "extends" in raw:
            extension, found = _parse_extension(raw, path, lang)
            extensions.extend([extension] if extension else [])
        else:
            entry, found = _parse_entry(raw, path, lang)
            entries.extend([entry] if entry else [])
        problems.extend(found)
    return entries, extensions, problems


def read_entry_file(path: Path, lang: str) -> tuple[list[Entry], list[Problem]]:
    entries, _, problems = _read_records(path, None, lang)
    return entries, problems


def _extend(entries: list[Entry], extensions: list[Extension], lang: str
            ) -> tuple[list[Entry], list[Problem]]:
    position = {}
    for index, entry in enumerate(entries):
        position.setdefault(entry.id, index)
    entries, problems = list(entries), []
    for extension in extensions:
        index = position.get(extension.target)
        if index is None:
            problems.append(Problem(extension.path, extension.line,
                                    t("staff_kb.unknown_target", lang, id=extension.target)))
            continue
        entry = entries[index]
        taken = {normalize(p) for p in entry.phrasings}
        added = []
        for alternate in extension.alternates:
            if normalize(alternate) not in taken:
                taken.add(normalize(alternate))
                added.append(alternate)
        entries[index] = replace(entry, alternates=(*entry.alternates, *added))
    return entries, problems


def _cross_check(entries: list[Entry], lang: str) -> list[Problem]:
    problems: list[Problem] = []
    ids: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in ids:
            first = ids[entry.id]
            problems.append(
                Problem(entry.file, entry.line, t("kb.duplicate_id", lang, id=entry.id,
                                                  where=f"{first.file}:{first.line}"))
            )
        else:
            ids[entry.id] = entry
    owners: dict[str, Entry] = {}
    for entry in entries:
        seen_here: set[str] = set()
        for phrasing in entry.phrasings:
            key = normalize(phrasing)
            if key in seen_here:
                problems.append(Problem(entry.file, entry.line,
                                        t("kb.duplicate_phrasing_in_entry", lang, id=entry.id,
                                          phrasing=phrasing)))
                continue
            seen_here.add(key)
            other = owners.setdefault(key, entry)
            if other is not entry and other.id != entry.id:
                problems.append(Problem(entry.file, entry.line,
                                        t("kb.duplicate_phrasing", lang, phrasing=phrasing,
                                          id=entry.id, other=other.id)))
        for follow in entry.follow_ups:
            if follow not in ids:
                problems.append(Problem(entry.file, entry.line,
                                        t("kb.unknown_follow_up", lang, id=entry.id,
                                          follow=follow)))
            elif follow == entry.id:
                problems.append(Problem(entry.file, entry.line,
                                        t("kb.self_follow_up", lang, id=entry.id)))
    return problems


def check_directory(directory: Path, lang: str | None = None, staged: dict[str, str] | None = None
                    ) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load `directory` and return the knowledge base (None if any problem) and all problems.
    `staged` maps file names to texts checked as if they were written there already."""
    lang = lang or cli_lang()
    staged = staged or {}
    if not directory.is_dir():
        return None, [Problem(directory, None, t("kb.no_directory", lang))]
    files = sorted({*entry_files(directory), *(directory / name for name in staged)})
    if not files:
        return None, [Problem(directory, None, t("kb.no_files", lang))]
    entries: list[Entry] = []
    extensions: list[Extension] = []
    problems: list[Problem] = []
    for path in files:
        found, extended, file_problems = _read_records(path, staged.get(path.name), lang)
        entries.extend(found)
        extensions.extend(extended)
        problems.extend(file_problems)
    entries, extension_problems = _extend(entries, extensions, lang)
    problems.extend(extension_problems)
    problems.extend(_cross_check(entries, lang))
    synonyms, syn_problems = load_synonyms(synonyms_path(directory))
    problems.extend(syn_problems)
    if problems:
        return None, problems
    return KnowledgeBase(directory, tuple(entries), synonyms), []


def load_knowledge_base(directory: Path) -> KnowledgeBase:
    kb, problems = check_directory(directory)
    if problems or kb is None:
        raise KnowledgeBaseError(problems)
    return kb
