"""Give entries of a test's copy of the fixture knowledge base the issue-17 markers (risk,
valid_until, review_by): phrasings stay as they are, so the calibration still applies."""
from __future__ import annotations

from pathlib import Path

import yaml

REFERRAL = "建议先核对劳动合同的签订日期和工资发放记录，再咨询当地劳动监察（12333）或律师；需要平台协助的，发送 /human。"


def mark(kb_dir: Path, entry_id: str, **fields) -> None:
    """Set `fields` on the entry (dates as YYYY-MM-DD); `risk="high"` also appends a referral
    line to its answer, as `kb check` requires."""
    for path in sorted(kb_dir.glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for entry in entries:
            if isinstance(entry, dict) and entry.get("id") == entry_id:
                entry.update(fields)
                if fields.get("risk") == "high":
                    entry["answer"] = f"{entry['answer']}\n{REFERRAL}"
                path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False),
                                encoding="utf-8")
                return
    raise KeyError(entry_id)
