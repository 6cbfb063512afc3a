"""`make eval`: the project's matcher against two baselines on a development set.

Baselines, on the same knowledge base and with thresholds calibrated the same way:
rapidfuzz `WRatio` alone, and BM25 over jieba words. Metrics over the in-scope questions:
direct-answer accuracy, top-3 accuracy (the right entry answered or suggested), wrong direct
answers; over the out-of-scope questions: rejection rate.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from .bm25 import BM25Index
from .calibration import calibrate, load_out_of_scope, read_calibration
from .decision import Decision, Thresholds, decide
from .loader import load_knowledge_base
from .model import KnowledgeBase
from .normalize import normalize
from .ranking import LexicalRanker, Phrasings, Ranker, SemanticRanker


class WRatioRanker(Ranker):
    """Baseline: rapidfuzz WRatio against every phrasing; an entry's best phrasing counts."""

    name = "wratio"

    def scored(self, query, exclude=None):
        scores = process.cdist([query], self.rows.normalized, scorer=fuzz.WRatio)[0] / 100.0
        if exclude is not None:
            scores[exclude] = -1.0
        return self.rows.max_per_entry(scores), {}


class JiebaBM25Ranker(Ranker):
    """Baseline: BM25 over jieba words of every phrasing (coverage-normalised)."""

    name = "bm25_jieba"

    def __init__(self, kb: KnowledgeBase, phrasings: Phrasings | None = None) -> None:
        super().__init__(kb, phrasings)
        import jieba

        jieba.setLogLevel(60)
        self.cut = jieba.lcut
        self.index = BM25Index([self.cut(text) for text in self.rows.normalized])

    def scored(self, query, exclude=None):
        scores = self.index.coverage(self.cut(query))
        if exclude is not None:
            scores[exclude] = -1.0
        return self.rows.max_per_entry(scores), {}


@dataclass
class Metrics:
    name: str
    direct_accuracy: float
    top3_accuracy: float
    wrong_direct: float
    out_of_scope_rejected: float
    top3_ranking: float  # right entry among the 3 best, thresholds ignored
    in_scope: int
    out_of_scope: int


@dataclass(frozen=True)
class DevSet:
    in_scope: list[tuple[str, str]]
    out_of_scope: list[str]


def load_devset(path: Path) -> DevSet:
    """A development set file, or a directory of them (`devset*.yaml`)."""
    files = sorted(path.glob("devset*.yaml")) if path.is_dir() else [path]
    in_scope: list[tuple[str, str]] = []
    out_of_scope: list[str] = []
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        in_scope += [(str(item["q"]), item["id"]) for item in data.get("in_scope") or []]
        out_of_scope += [str(q) for q in data.get("out_of_scope") or []]
    return DevSet(in_scope, out_of_scope)


def evaluate(name: str, ranker: Ranker, th: Thresholds, devset: DevSet) -> Metrics:
    direct = top3 = wrong = ranked3 = 0
    for question, expected in devset.in_scope:
        query = normalize(question)
        ranked = ranker.rank(query, limit=3)
        ranked3 += expected in [c.entry.id for c in ranked]
        result = decide(query, ranked, th)
        shown = [c.entry.id for c in result.candidates] if result.decision != Decision.NO_ANSWER else []
        if result.decision is Decision.ANSWERED:
            if shown[0] == expected:
                direct += 1
            else:
                wrong += 1
        top3 += expected in shown
    rejected = 0
    for question in devset.out_of_scope:
        query = normalize(question)
        rejected += decide(query, ranker.rank(query, limit=3), th).decision is Decision.NO_ANSWER
    n, m = max(len(devset.in_scope), 1), max(len(devset.out_of_scope), 1)
    return Metrics(name, round(direct / n, 4), round(top3 / n, 4), round(wrong / n, 4),
                   round(rejected / m, 4), round(ranked3 / n, 4), len(devset.in_scope),
                   len(devset.out_of_scope))


def run(kb_dir: Path, devset_path: Path, semantic: bool = False,
        cache_dir: Path | None = None) -> list[Metrics]:
    kb = load_knowledge_base(kb_dir)
    devset = load_devset(devset_path)
    unknown = sorted({i for _, i in devset.in_scope} - set(kb.by_id))  # type: ignore[attr-defined]
    if unknown:
        raise SystemExit(f"development set refers to unknown entries: {', '.join(unknown)}")
    phrasings = Phrasings(kb)
    calibration = read_calibration(kb_dir)
    out_of_scope = load_out_of_scope(kb_dir)
    project = LexicalRanker(kb, phrasings)
    results = [evaluate("project (lexical)", project,
                        calibration.for_ranker("lexical") if calibration
                        else calibrate(project, out_of_scope)[0], devset)]
    if semantic:
        from .semantic import load_encoder

        encoder = load_encoder(cache_dir)
        if encoder is not None:
            ranker = SemanticRanker(kb, encoder, phrasings)
            th = calibration.for_ranker("semantic") if calibration and "semantic" in \
                calibration.thresholds else calibrate(ranker, out_of_scope)[0]
            results.append(evaluate("project (semantic)", ranker, th, devset))
    for baseline in (WRatioRanker(kb, phrasings), JiebaBM25Ranker(kb, phrasings)):
        results.append(evaluate(f"baseline {baseline.name}", baseline,
                                calibrate(baseline, out_of_scope)[0], devset))
    return results


def format_table(results: list[Metrics]) -> str:
    header = (f"{'matcher':<22}{'direct':>9}{'top-3':>9}{'wrong':>9}{'OOS rej.':>10}"
              f"{'ranking top-3':>15}")
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r.name:<22}{r.direct_accuracy:>9.1%}{r.top3_accuracy:>9.1%}"
                     f"{r.wrong_direct:>9.1%}{r.out_of_scope_rejected:>10.1%}"
                     f"{r.top3_ranking:>15.1%}")
    if results:
        lines.append(f"({results[0].in_scope} in-scope, {results[0].out_of_scope} out-of-scope; "
                     "top-3 counts the right entry answered or suggested; ranking top-3 ignores "
                     "the thresholds)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=str(Path(__file__).with_name("faq")))
    parser.add_argument("--devset", default="tests/eval")
    parser.add_argument("--semantic", action="store_true")
    parser.add_argument("--cache-dir", default="var/cache")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(Path(args.kb), Path(args.devset), args.semantic, Path(args.cache_dir))
    if args.json:
        json.dump([asdict(r) for r in results], sys.stdout, ensure_ascii=False, indent=2)
    else:
        print(format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
