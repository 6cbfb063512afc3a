"""Group near-duplicate questions (normalised texts) for staff review.

Greedy and leader-based: the distinct texts, most frequent first, each join the most similar
group whose leader (its most frequent text) is similar enough, or start a group of their own;
comparing with leaders only keeps a chain of small edits from drifting into another question.

Similarity is the Dice coefficient of the texts' character-bigram sets. On the 279 development
questions (tests/eval) no two different questions exceed 0.35, while ≥ 96 % of single typos,
added fillers, prefixes and swapped clauses of one question reach 0.6. Pairwise rapidfuzz
`ratio` gave the same separation but took 6 s for 5,000 distinct texts (94 s for 20,000);
prefix filtering finds every leader at least that similar by looking only at leaders that share
one of a text's rarest bigrams (bench/grouping_bench.py).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

SIMILARITY = 0.6
# Dice ≥ d ⇔ Jaccard ≥ d / (2 − d): the prefix-filtering bound is stated for Jaccard.
_JACCARD = SIMILARITY / (2 - SIMILARITY)


def bigrams(text: str) -> frozenset[str]:
    return frozenset(text[i:i + 2] for i in range(len(text) - 1)) or frozenset([text])


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b))


def _prefix_length(size: int) -> int:
    """Sets with Jaccard ≥ J share ≥ ⌈J·size⌉ tokens, so they share one of the first
    size − ⌈J·size⌉ + 1 tokens of each in any fixed global order."""
    return size - math.ceil(_JACCARD * size - 1e-9) + 1


def group_texts(counts: Mapping[str, int]) -> list[list[str]]:
    """Groups of the texts in `counts` (text → how often it was asked), each leader first,
    the groups in the order of their leaders: most frequent first, then alphabetical."""
    order = sorted(counts, key=lambda t: (-counts[t], t))
    sets = [bigrams(text) for text in order]
    frequency = Counter(token for tokens in sets for token in tokens)
    leaders: list[frozenset[str]] = []
    index: dict[str, list[int]] = {}  # token → leaders having it in their prefix
    groups: list[list[str]] = []
    for text, tokens in zip(order, sets):
        rarest = sorted(tokens, key=lambda token: (frequency[token], token))
        prefix = rarest[:_prefix_length(len(tokens))]
        candidates = sorted({g for token in prefix for g in index.get(token, ())})
        best, best_score = None, SIMILARITY
        for group in candidates:
            score = dice(tokens, leaders[group])
            if score > best_score or (best is None and score >= SIMILARITY):
                best, best_score = group, score
        if best is not None:
            groups[best].append(text)
            continue
        for token in prefix:
            index.setdefault(token, []).append(len(leaders))
        leaders.append(tokens)
        groups.append([text])
    return groups
