"""Where report files go: one fresh folder per report under the configured directory, so
that files keep readable names; folders older than `keep_days` are removed on the way
(by the files' own wall-clock times)."""
from __future__ import annotations

import logging
import secrets
import shutil
import time
from pathlib import Path

log = logging.getLogger(__name__)


def new_report_dir(base: Path, keep_days: int) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - keep_days * 86400
    for old in base.iterdir():
        try:
            if old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old)
        except OSError as exc:  # removed by another process first, or not ours to remove
            log.warning("could not remove old report folder %s: %s", old, exc)
    folder = base / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    folder.mkdir()
    return folder
