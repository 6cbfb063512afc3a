"""Grouping of unanswered questions (`/unanswered`): time and purity on a synthetic month.

A month of questions to review is drawn from the bundled knowledge base's phrasings and the
development questions (≈2,700 distinct bases), popularity Zipf-like, each ask typed with a
random variation (typo, filler, prefix, suffix, swapped clauses, or as is). Purity: the share of
grouped asks whose group leader comes from the same base question; split: bases spread over
more than one group.

    python bench/grouping_bench.py [--asks N …]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from knowledge.grouping import group_texts  # noqa: E402
from knowledge.loader import load_knowledge_base  # noqa: E402
from knowledge.normalize import normalize  # noqa: E402
from knowledge.service import BUNDLED_DIR  # noqa: E402

FILLERS = ["呢", "啊", "吧", "怎么办", "急", "谢谢"]
PREFIXES = ["我想知道", "我们公司", "就是说", "老板让我问下"]
TYPOS = "的了是我你他"
SIZES = [2_000, 10_000, 30_000]  # asks in a month: a quiet, a busy and a very busy platform


def bases() -> list[str]:
    texts = [p for e in load_knowledge_base(BUNDLED_DIR).entries for p in e.phrasings]
    for part in "abc":
        data = yaml.safe_load((REPO / "tests" / "eval" / "dev" / f"legacy_{part}.yaml").read_text("utf-8"))
        texts += [item["q"] for item in data.get("in_scope", [])]
        texts += [str(q) for q in data.get("out_of_scope", []) or []]
    return sorted({normalize(t) for t in texts if len(normalize(t)) >= 4})


def vary(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    return rng.choice([
        text, text,
        text[:i] + text[i + 1:],
        text[:i] + rng.choice(TYPOS) + text[i + 1:],
        text + rng.choice(FILLERS),
        rng.choice(PREFIXES) + text,
        text[len(text) // 2:] + text[:len(text) // 2],
    ])


def month(asks: int, seed: int = 7) -> tuple[Counter, dict[str, str]]:
    rng = random.Random(seed)
    pool = bases()
    rng.shuffle(pool)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(pool))]
    counts: Counter = Counter()
    origin: dict[str, str] = {}
    for base in rng.choices(pool, weights, k=asks):
        text = vary(base, rng)
        counts[text] += 1
        origin.setdefault(text, base)
    return counts, origin


def run(asks: int) -> dict:
    counts, origin = month(asks)
    started = time.perf_counter()
    groups = group_texts(counts)
    seconds = time.perf_counter() - started
    pure = sum(counts[t] for g in groups for t in g if origin[t] == origin[g[0]])
    spread = defaultdict(set)
    for number, group in enumerate(groups):
        for text in group:
            spread[origin[text]].add(number)
    return {"asks": asks, "distinct": len(counts), "groups": len(groups),
            "seconds": round(seconds, 3), "purity": round(pure / asks, 4),
            "bases_split": round(sum(len(g) > 1 for g in spread.values()) / len(spread), 4)}


def main(sizes: list[int] = SIZES) -> list[dict]:
    return [run(n) for n in sizes]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--asks", type=int, nargs="*", default=SIZES)
    for row in main(parser.parse_args().asks):
        print(json.dumps(row))
