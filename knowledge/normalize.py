"""Text normalisation for Chinese questions: the same function feeds the index and the queries."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_T2S = OpenCC("t2s")

# Polite fillers and greetings that carry no meaning for matching.  Longest first so that
# "请问一下" is removed whole rather than leaving "一下".
_FILLERS = sorted(
    [
        "请问一下", "请问", "想问一下", "想问问", "想问", "问一下", "问下", "请教一下", "请教",
        "你好", "您好", "哈喽", "在吗", "在不在", "谢谢你", "谢谢您", "谢谢", "多谢", "感谢",
        "麻烦问下", "麻烦问一下", "麻烦你", "麻烦您", "麻烦", "老师", "小助手",
    ],
    key=len,
    reverse=True,
)
_FILLER_RE = re.compile("|".join(map(re.escape, _FILLERS)))
# Keep letters and digits of every script (CJK included); everything else separates.
_NON_WORD_RE = re.compile(r"[^\w]|_", re.UNICODE)
# Markup pasted or typed around a question (<b>…</b>, &nbsp;): tags and entities are not words.
_MARKUP_RE = re.compile(r"</?[A-Za-z][^<>]{0,200}>|&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFKC (full-width → half-width), traditional → simplified, lower case, fillers,
    punctuation, whitespace, markup, emoji and control characters removed."""
    return _finish(_T2S.convert(unicodedata.normalize("NFKC", strip_markup(text))).lower())


def strip_markup(text: str) -> str:
    """HTML/XML tags and character entities removed (what remains is what a person reads)."""
    return _MARKUP_RE.sub(" ", text)


def _finish(text: str) -> str:
    text = _NON_WORD_RE.sub("", text)
    stripped = _FILLER_RE.sub("", text)
    # A question made only of fillers ("你好") keeps its words rather than becoming empty.
    return stripped or text


def normalize_many(texts: list[str]) -> list[str]:
    """`normalize` for a whole knowledge base: one conversion call instead of thousands."""
    joined = _T2S.convert(unicodedata.normalize("NFKC", strip_markup("\n".join(texts)))).lower()
    parts = joined.split("\n")
    if len(parts) != len(texts):  # a text had its own line breaks: go one by one
        return [normalize(t) for t in texts]
    return [_finish(p) for p in parts]


def has_meaningful_text(text: str) -> bool:
    """False for empty, whitespace, punctuation-only, markup-only or emoji-only input."""
    return bool(_NON_WORD_RE.sub("", unicodedata.normalize("NFKC", strip_markup(text))))


def has_han(text: str) -> bool:
    """True when the text has at least one Chinese character (the knowledge base's language)."""
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)
