"""Per-knowledge-base thresholds from leave-one-phrasing-out plus an out-of-scope list.

Each phrasing is asked against the knowledge base without itself (a stand-in for a new user's
wording); the out-of-scope questions must be refused. `high` and `margin` are chosen to
maximise correct direct answers while keeping wrong ones rare, `low` to refuse ≥ 96 % of the
out-of-scope list while keeping as many correct suggestions as possible.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from .decision import DEFAULT_THRESHOLDS, Thresholds
from .normalize import normalize
from .ranking import Ranker

MAX_WRONG_DIRECT = 0.03  # share of in-scope probes answered directly with the wrong entry
MAX_OOS_DIRECT = 0.0  # out-of-scope questions answered directly
MIN_OOS_REJECTED = 0.96
MARGINS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12)


def calibration_path(kb_dir: Path) -> Path:
    return kb_dir.parent / "calibration.yaml"


def out_of_scope_path(kb_dir: Path) -> Path:
    return kb_dir.parent / "out_of_scope.yaml"


def load_out_of_scope(kb_dir: Path) -> list[str]:
    path = out_of_scope_path(kb_dir)
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [str(q) for q in data if str(q).strip()]


@dataclass
class Probe:
    top: float
    gap: float
    correct_top1: bool
    correct_in_top3: bool


def _probes(ranker: Ranker, out_of_scope: list[str]) -> tuple[list[Probe], list[Probe]]:
    rows = ranker.rows
    per_entry = np.bincount(rows.entry_index, minlength=len(ranker.kb.entries))
    positives = []
    for row, entry_idx in enumerate(rows.entry_of):
        if per_entry[entry_idx] < 2:
            continue
        ranked = ranker.rank(rows.normalized[row], limit=3, exclude=row)
        target = ranker.kb.entries[entry_idx].id
        positives.append(_probe(ranked, target))
    negatives = [_probe(ranker.rank(normalize(q), limit=3), None) for q in out_of_scope]
    return positives, negatives


def _probe(ranked, target: str | None) -> Probe:
    top = ranked[0].score if ranked else 0.0
    second = ranked[1].score if len(ranked) > 1 else 0.0
    ids = [c.entry.id for c in ranked]
    return Probe(top, top - second, bool(ids) and ids[0] == target, target in ids)


def choose_thresholds(positives: list[Probe], negatives: list[Probe], name: str) -> Thresholds:
    default = DEFAULT_THRESHOLDS.get(name, DEFAULT_THRESHOLDS["lexical"])
    if not positives:
        return default
    top = np.array([p.top for p in positives])
    gap = np.array([p.gap for p in positives])
    right = np.array([p.correct_top1 for p in positives])
    n_top = np.array([p.top for p in negatives]) if negatives else np.zeros(0)
    n_gap = np.array([p.gap for p in negatives]) if negatives else np.zeros(0)

    best: tuple[int, float, float] | None = None
    for high in np.unique(np.round(top, 3)):
        for margin in MARGINS:
            direct = (top >= high) & (gap >= margin)
            wrong = int((direct & ~right).sum())
            oos_direct = int(((n_top >= high) & (n_gap >= margin)).sum())
            if wrong > MAX_WRONG_DIRECT * len(top) or oos_direct > MAX_OOS_DIRECT * len(n_top):
                continue
            correct = int((direct & right).sum())
            if best is None or correct > best[0]:
                best = (correct, float(high), margin)
    if best is None:
        return default
    _, high, margin = best
    if len(n_top):
        low = float(np.quantile(n_top, MIN_OOS_REJECTED)) + 1e-3
    else:
        low = default.low
    return Thresholds(high=high, low=min(low, high), margin=margin)


def summarise(positives: list[Probe], negatives: list[Probe], th: Thresholds) -> dict:
    n = max(len(positives), 1)
    direct = [p for p in positives if p.top >= th.high and p.gap >= th.margin]
    shown = [p for p in positives if p.top >= th.low]
    return {
        "probes": len(positives),
        "out_of_scope": len(negatives),
        "direct_correct": round(sum(p.correct_top1 for p in direct) / n, 4),
        "direct_wrong": round(sum(not p.correct_top1 for p in direct) / n, 4),
        "top3_shown": round(sum(p.correct_in_top3 for p in shown) / n, 4),
        "out_of_scope_rejected": round(
            sum(p.top < th.low for p in negatives) / max(len(negatives), 1), 4),
    }


def calibrate(ranker: Ranker, out_of_scope: list[str]) -> tuple[Thresholds, dict]:
    positives, negatives = _probes(ranker, out_of_scope)
    th = choose_thresholds(positives, negatives, ranker.name)
    return th, summarise(positives, negatives, th)


@dataclass(frozen=True)
class Calibration:
    fingerprint: str
    thresholds: dict[str, Thresholds]

    def for_ranker(self, name: str) -> Thresholds:
        return self.thresholds.get(name, DEFAULT_THRESHOLDS[name])


def read_calibration(kb_dir: Path) -> Calibration | None:
    path = calibration_path(kb_dir)
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        thresholds = {
            name: Thresholds(**{k: float(v) for k, v in data[name].items()})
            for name in ("lexical", "semantic")
            if isinstance(data.get(name), dict)
        }
    except (yaml.YAMLError, TypeError, ValueError, KeyError):
        return None
    return Calibration(str(data.get("fingerprint", "")), thresholds)


def write_calibration(kb_dir: Path, fingerprint: str, results: dict[str, tuple[Thresholds, dict]]) -> Path:
    path = calibration_path(kb_dir)
    data: dict = {"fingerprint": fingerprint}
    for name, (th, summary) in results.items():
        data[name] = th.to_dict()
        data[f"{name}_measured"] = summary
    header = "# 由 `sme-assistant kb calibrate` 生成：知识库变化后请重新运行。\n"
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path
