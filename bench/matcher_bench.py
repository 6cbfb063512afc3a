"""Matcher benchmarks: index build, per-query latency, memory, CLI cold start and batch rate.

Run with `make bench` (all benchmarks) or `python bench/matcher_bench.py`.
Each measurement that needs a clean peak-memory figure runs in its own subprocess.
"""
from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SYNTH_ENTRIES = 20_000
SYNTH_PHRASINGS = 4


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def bundled_kb():
    from knowledge.loader import load_knowledge_base
    from knowledge.service import BUNDLED_DIR

    return load_knowledge_base(BUNDLED_DIR)


def synthetic_kb(n_entries: int = SYNTH_ENTRIES, per_entry: int = SYNTH_PHRASINGS):
    """Entries whose phrasings are recombined fragments of the bundled phrasings, so that the
    character and bigram statistics look like real Chinese questions."""
    from datetime import date

    from knowledge.model import Entry, KnowledgeBase

    real = bundled_kb()
    pool = [p for e in real.entries for p in e.phrasings]
    rng = random.Random(7)

    def phrase() -> str:
        a, b = rng.sample(pool, 2)
        cut_a, cut_b = rng.randint(2, max(3, len(a) - 1)), rng.randint(0, len(b) // 2)
        return (a[:cut_a] + b[cut_b:])[:30]

    entries = tuple(
        Entry(id=f"synthetic-{i}", question=phrase(), answer="答案", source="合成",
              updated=date(2026, 1, 1), category=f"类别{i % 20}",
              alternates=tuple(phrase() for _ in range(per_entry - 1)))
        for i in range(n_entries)
    )
    return KnowledgeBase(REPO / "var" / "synthetic", entries, real.synonyms), pool


def queries_for(kb, pool, n: int = 2000) -> list[str]:
    rng = random.Random(11)
    from knowledge.evaluation import EVAL_DIR, load_questions

    dev = EVAL_DIR / "dev"
    questions = [q.text for q in load_questions(dev)] if dev.is_dir() else []
    questions += rng.sample(pool, min(len(pool), n))
    return (questions * (n // max(len(questions), 1) + 1))[:n]


def measure_matcher(which: str, semantic: bool) -> dict:
    from knowledge.decision import DEFAULT_MODELS, decide
    from knowledge.normalize import normalize
    from knowledge.ranking import LexicalRanker, Phrasings, SemanticRanker

    if which == "bundled":
        kb = bundled_kb()
        pool = [p for e in kb.entries for p in e.phrasings]
    else:
        kb, pool = synthetic_kb()
    started = time.perf_counter()
    phrasings = Phrasings(kb)
    if semantic:
        from knowledge.semantic import load_encoder

        encoder = load_encoder(REPO / "var" / "cache")
        if which == "synthetic":
            # Embedding 80,000 phrasings takes ~13 minutes; measure the query path on a matrix of
            # the right shape instead and report the build cost per phrasing separately.
            import numpy as np

            class Synthetic:
                cache_dir = None

                def __init__(self, real):
                    self.real = real

                def embed(self, text):
                    return self.real.embed(text)

                def embed_many(self, texts, passages=False):
                    m = np.random.default_rng(0).standard_normal((len(texts), 384)).astype("f4")
                    return m / np.linalg.norm(m, axis=1, keepdims=True)

            encoder = Synthetic(encoder)
        ranker = SemanticRanker(kb, encoder, phrasings)
        # The questions below are cached phrasings or development questions: time the model.
        (encoder.real if which == "synthetic" else encoder).forget()
    else:
        ranker = LexicalRanker(kb, phrasings)
    build = time.perf_counter() - started
    model = DEFAULT_MODELS[ranker.name]

    def match(question: str) -> None:
        query = normalize(question)
        ranked = ranker.rank(query, limit=3)
        decide(query, ranked, ranker.evidence(query, ranked), model)

    questions = queries_for(kb, pool, 300 if semantic else 2000)
    for q in questions[:20]:
        match(q)
    normalize.cache_clear()
    latencies = []
    for q in questions:
        t0 = time.perf_counter()
        match(q)
        latencies.append((time.perf_counter() - t0) * 1000)
    embed = {}
    if semantic:  # the model inference alone (target: p50 ≤ 15 ms), on questions never seen
        model = encoder.real.model if which == "synthetic" else encoder.model
        times = []
        for q in questions[:200]:
            t0 = time.perf_counter()
            model.query(q + "？")
            times.append((time.perf_counter() - t0) * 1000)
        embed = {"embed_p50_ms": round(percentile(times, 50), 3),
                 "embed_p99_ms": round(percentile(times, 99), 3)}
    return {
        **embed,
        "kb": which, "path": ranker.name, "entries": len(kb.entries), "phrasings": len(phrasings),
        "index_build_s": round(build, 3),
        "query_p50_ms": round(percentile(latencies, 50), 3),
        "query_p99_ms": round(percentile(latencies, 99), 3),
        "queries": len(latencies),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def cli_env(semantic: bool) -> dict:
    return {**os.environ, "SME_KNOWLEDGE__SEMANTIC": "auto" if semantic else "off",
            "SME_CONFIG": str(REPO / "config.yaml")}


def measure_cli(semantic: bool) -> dict:
    exe = [sys.executable, "-m", "bot"]
    env = cli_env(semantic)
    subprocess.run(exe + ["ask", "试用期最长多久"], env=env, capture_output=True, cwd=REPO)
    cold = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(exe + ["ask", "试用期最长多久"], env=env, capture_output=True, check=True,
                       cwd=REPO)
        cold.append(time.perf_counter() - t0)
    kb = bundled_kb()
    pool = [p for e in kb.entries for p in e.phrasings]
    batch = queries_for(kb, pool, 1000 if semantic else 10_000)
    t0 = time.perf_counter()
    done = subprocess.run(exe + ["ask", "--json", "-"], env=env, input="\n".join(batch) + "\n",
                          capture_output=True, text=True, check=True, cwd=REPO)
    wall = time.perf_counter() - t0
    assert len(done.stdout.splitlines()) == len(batch)
    startup = statistics.median(cold)
    return {
        "path": "semantic" if semantic else "lexical",
        "cold_start_s": round(startup, 3),
        "batch_questions": len(batch),
        "batch_wall_s": round(wall, 3),
        "batch_per_s_including_start": round(len(batch) / wall),
        "batch_per_s_steady": round(len(batch) / max(wall - startup, 1e-9)),
    }


def in_subprocess(func: str, *args) -> dict:
    code = (f"import json,sys; sys.path.insert(0, {str(REPO)!r}); import bench.matcher_bench as b; "
            f"print(json.dumps(b.{func}(*{args!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> list[dict]:
    from knowledge.semantic import semantic_available

    results = [in_subprocess("measure_matcher", "bundled", False),
               in_subprocess("measure_matcher", "synthetic", False),
               in_subprocess("measure_cli", False)]
    if semantic_available():
        results += [in_subprocess("measure_matcher", "bundled", True),
                    in_subprocess("measure_matcher", "synthetic", True),
                    in_subprocess("measure_cli", True)]
    return results


if __name__ == "__main__":
    for row in main():
        print(json.dumps(row, ensure_ascii=False))
