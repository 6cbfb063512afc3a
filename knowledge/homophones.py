"""Typos typed on a pinyin keyboard (发漂 for 发票, 辞腿 for 辞退, 工商保险 for 工伤保险).

A query's 3- and 2-character runs that the knowledge base does not use are replaced by the
knowledge base's run that sounds the same (toneless pinyin), the most frequent one when several
do, only a term it uses at least MIN_COUNT times, and only where one character differs. Runs of
its questions and answers, and runs recurring in its alternates, are left alone, so its own
words are never "corrected"; a typo an alternate holds on purpose is.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

SIZES = (3, 2)
MIN_COUNT = 3  # a replacement must be one of the knowledge base's recurring terms


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@lru_cache(maxsize=1 << 16)
def _sound(ch: str) -> str:
    return lazy_pinyin(ch, style=Style.NORMAL)[0]


def _runs(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in texts:
        for n in SIZES:
            counts.update(text[i:i + n] for i in range(len(text) - n + 1)
                          if all(map(_is_han, text[i:i + n])))
    return counts


class Homophones:
    def __init__(self, texts: Iterable[str], variants: Iterable[str] = ()) -> None:
        """`texts`: the knowledge base's own wording (questions, answers), whose runs are never
        corrected; `variants`: users' phrasings of its entries (alternates), whose runs are
        protected only when recurring — some hold a typo on purpose (发漂, once or twice),
        which must not make the typo a known word."""
        own, used = _runs(texts), _runs(variants)
        self.known = set(own) | {run for run, count in used.items() if count >= MIN_COUNT}
        counts = own + used
        best: dict[str, tuple[int, str]] = {}
        for gram, count in counts.items():
            if count < MIN_COUNT:
                continue
            key = self._key(gram)
            if key not in best or count > best[key][0]:
                best[key] = (count, gram)
        self.by_sound = {key: gram for key, (_, gram) in best.items()}

    @staticmethod
    def _key(gram: str) -> str:
        return " ".join(_sound(ch) for ch in gram)

    def _fits_outside(self, gram: str, fixed: str, before: list[str], after: str) -> bool:
        """Whether the character the correction would change forms a known word with its
        neighbour outside the run (保|险怎么 must not become 保限怎么: 保险 is a word)."""
        k = next(k for k, (a, b) in enumerate(zip(gram, fixed)) if a != b)
        if k == 0 and before:
            return before[-1][-1] + gram[0] in self.known
        if k == len(gram) - 1 and after:
            return gram[-1] + after in self.known
        return False

    def correct(self, query: str) -> str:
        out: list[str] = []
        i = 0
        while i < len(query):
            for n in SIZES:
                gram = query[i:i + n]
                if len(gram) == n and gram not in self.known and all(map(_is_han, gram)):
                    fixed = self.by_sound.get(self._key(gram))
                    # A typo changes one character: a run that differs in more is another phrase.
                    if fixed is not None and sum(a != b for a, b in zip(gram, fixed)) == 1 \
                            and not self._fits_outside(gram, fixed, out, query[i + n:i + n + 1]):
                        out.append(fixed)
                        i += n
                        break
            else:
                out.append(query[i])
                i += 1
        return "".join(out)
