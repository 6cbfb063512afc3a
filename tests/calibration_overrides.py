"""A calibration file that never answers directly, so that any question gets suggestions."""
from pathlib import Path

SUGGEST_ONLY = (
    "fingerprint: x\nlexical: {features: [score, margin, coverage, length], "
    "weights: [0, 1, 0, 0, 0], mean: [0, 0, 0, 0], scale: [1, 1, 1, 1], "
    "answer_at: 0.999, suggest_at: 0.0, related_gap: 0.0}\n")


def suggest_only(kb_root: Path) -> None:
    (kb_root / "calibration.yaml").write_text(SUGGEST_ONLY, encoding="utf-8")
