"""Validation problems reported as `file:line: problem`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .texts import cli_lang, t


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


def yaml_error_problem(path: Path, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(exc, "problem", None) or str(exc)
    return Problem(path, line, t("kb.yaml_error", cli_lang(), reason=reason))


class KnowledgeBaseError(Exception):
    """Raised when a knowledge base has problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
