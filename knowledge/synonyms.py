"""Synonym and abbreviation expansion (高企 → 高新技术企业) from `synonyms.yaml`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .normalize import normalize
from .texts import cli_lang, t

from .problems import Problem, yaml_error_problem


@dataclass(frozen=True)
class Synonyms:
    """Maps each colloquial variant to its canonical term; `expand` appends canonical terms."""

    variants: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Variants by first character, longest first: a scan of the text finds the longest
        # variant at each position (a 600-way regex alternation was ten times slower).
        by_first: dict[str, list[str]] = {}
        for variant in sorted(self.variants, key=len, reverse=True):
            by_first.setdefault(variant[0], []).append(variant)
        object.__setattr__(self, "_by_first", by_first)

    def expand(self, normalized: str) -> str:
        """Return the text with the canonical form of every variant found appended."""
        by_first = self._by_first  # type: ignore[attr-defined]
        extra: list[str] = []
        i, n = 0, len(normalized)
        while i < n:
            for variant in by_first.get(normalized[i], ()):
                if normalized.startswith(variant, i):
                    canonical = self.variants[variant]
                    if canonical not in normalized and canonical not in extra:
                        extra.append(canonical)
                    i += len(variant) - 1
                    break
            i += 1
        return normalized + "".join(extra) if extra else normalized

    def __len__(self) -> int:
        return len(self.variants)


def load_synonyms(path: Path, lang: str | None = None) -> tuple[Synonyms, list[Problem]]:
    """Read `canonical: [variant, …]`; a missing file means no synonyms."""
    lang = lang or cli_lang()
    if not path.exists():
        return Synonyms(), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        return Synonyms(), [yaml_error_problem(path, exc)]
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return Synonyms(), [Problem(path, 1, t("kb.synonyms_not_mapping", lang))]
    variants: dict[str, str] = {}
    for canonical, words in data.items():
        if not isinstance(canonical, str) or not isinstance(words, list) or not all(
            isinstance(w, str) for w in words
        ):
            problems.append(Problem(path, None, t("kb.synonyms_bad_list", lang, term=canonical)))
            continue
        target = normalize(canonical)
        for word in words:
            key = normalize(word)
            if not key or key == target:
                continue
            if len(key) < 2:  # "®标" is "标" once normalised: it would fire on every 标
                problems.append(Problem(path, None, t("kb.synonyms_too_short", lang, word=word,
                                                      key=key, term=canonical)))
                continue
            if key in variants and variants[key] != target:
                problems.append(
                    Problem(path, None, t("kb.synonyms_conflict", lang, word=word,
                                               first=variants[key], second=canonical))
                )
                continue
            variants[key] = target
    return Synonyms(variants), problems
