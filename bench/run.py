"""`make bench`: run every benchmark and print its figures (JSON lines) and a summary."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import matcher_bench  # noqa: E402

if __name__ == "__main__":
    print("== matcher ==")
    for row in matcher_bench.main():
        print(json.dumps(row, ensure_ascii=False))
