"""Helpers for Telegram HTML messages and callback data."""
from __future__ import annotations

import html
import re

__all__ = ["escape", "visible_length", "split_html", "encode_callback", "decode_callback"]

MESSAGE_LIMIT = 4096
CALLBACK_LIMIT = 64  # bytes of UTF-8

# C0 controls except \t and \n, and lone surrogates (not encodable as UTF-8).
_REJECTED = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff]")
# A tag, an entity, or one character: the units split_html never cuts through.
_TOKEN = re.compile(r"<[^<>]*>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-f]+);|.", re.IGNORECASE | re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-z][\w-]*)", re.IGNORECASE)


def escape(text: str) -> str:
    """User text made safe for parse_mode=HTML."""
    return html.escape(_REJECTED.sub("", text), quote=False)


def _is_tag(token: str) -> bool:
    return len(token) > 1 and token[0] == "<"


def visible_length(html_text: str) -> int:
    """Characters left after Telegram parses the HTML (an entity counts as one)."""
    return sum(not _is_tag(t) for t in _TOKEN.findall(html_text))


def _break_rank(tokens: list[str], k: int, prev: str) -> int:
    """How good a cut right after text token ``k`` is: 3 paragraph, 2 line, 1 sentence, 0 none."""
    token = tokens[k]
    if token == "\n":
        return 3 if prev == "\n" else 2
    if token in "。！？":
        return 1
    if token in ".!?":
        nxt = tokens[k + 1] if k + 1 < len(tokens) else " "
        return int(nxt.isspace() or _is_tag(nxt))
    return 0


_TAG_RE = re.compile(r"<[^>]*>")


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into non-empty parts of at most ``limit`` visible characters.

    Cuts at the last paragraph break, else line break, else sentence end in the
    second half of the allowed span, else at the limit; never inside a tag or an
    entity. Whitespace at a cut is dropped; tags open at a cut are closed at the
    end of the part and re-opened at the start of the next one.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit and text == text.strip() and _TAG_RE.sub("", text).strip():
        return [text]  # markup only adds characters: the visible text is shorter still
    tokens = _TOKEN.findall(text)
    n = len(tokens)
    stack: list[tuple[str, str]] = []  # open tags as (name, opening tag)

    def take(token: str, body: list[str]) -> None:
        body.append(token)
        if not (_is_tag(token) and (m := _TAG_NAME.match(token))):
            return
        name = m[1].lower()
        if token[1] != "/":
            stack.append((name, token))
            return
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] == name:
                del stack[k]
                break

    parts: list[str] = []
    i = 0
    while True:
        body = [opening for _, opening in stack]
        while i < n and (_is_tag(tokens[i]) or tokens[i].isspace()):  # leading whitespace
            if _is_tag(tokens[i]):
                take(tokens[i], body)
            i += 1
        if i == n:
            return parts
        best: dict[int, int] = {}  # break rank -> cut index
        count, prev, end = 0, "", i
        while end < n:
            if not _is_tag(tokens[end]):
                if count == limit:
                    break
                count += 1
                if count >= limit // 2:
                    best[_break_rank(tokens, end, prev)] = end + 1
                best[0] = end + 1
                prev = tokens[end]
            end += 1
        cut = n if end == n else best.get(3) or best.get(2) or best.get(1) or best[0]
        while cut < n and tokens[cut].startswith("</"):  # keep closing tags with their text
            cut += 1
        for token in tokens[i:cut]:
            take(token, body)
        i = cut
        for k in range(len(body) - 1, -1, -1):  # trailing whitespace
            if body[k].isspace():
                del body[k]
            elif not _is_tag(body[k]):
                break
        parts.append("".join(body) + "".join(f"</{name}>" for name, _ in reversed(stack)))


def encode_callback(*parts: str | int) -> str:
    """Join parts with ':' into callback data of 1-64 UTF-8 bytes."""
    strings = [str(p) for p in parts]
    if any(":" in s for s in strings):
        raise ValueError("callback part contains ':'")
    data = ":".join(strings)
    if not 1 <= len(data.encode("utf-8")) <= CALLBACK_LIMIT:
        raise ValueError(f"callback data must be 1-{CALLBACK_LIMIT} bytes: {data!r}")
    return data


def decode_callback(data: str) -> list[str]:
    """The parts of callback data made by :func:`encode_callback`."""
    return data.split(":")
