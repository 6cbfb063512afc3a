"""Staff-written text for Telegram's HTML: a few well-formed formatting tags are kept (bold,
italic, underline, strikethrough, code, http(s) links); everything else is literal text, so a
stray `<`, `&` or an unknown tag shows as typed and can never break the message or inject
markup."""
from __future__ import annotations

import html
import re

_TAG = re.compile(r"<(/?)(b|i|u|s|code)>|<a href=\"(https?://[^\"<>\s]+)\">|(</a>)",
                  re.IGNORECASE)


def sanitize(text: str) -> str:
    """`text` as Telegram HTML: kept tags balanced and properly nested (nothing inside
    `code`), the rest escaped."""
    pieces: list[str] = []  # escaped text and kept tags, in order
    opened: list[tuple[str, int, str]] = []  # open tags: (name, index in pieces, as typed)
    position = 0
    for match in _TAG.finditer(text):
        pieces.append(html.escape(text[position:match.start()], quote=False))
        position = match.end()
        typed, href = match.group(0), match.group(3)
        name = (match.group(2) or "a").lower()
        closing = bool(match.group(1) or match.group(4))
        inside_code = bool(opened) and opened[-1][0] == "code"
        if not closing and not inside_code:
            opened.append((name, len(pieces), typed))
            pieces.append(f'<a href="{html.escape(href)}">' if href else f"<{name}>")
        elif closing and opened and opened[-1][0] == name:
            opened.pop()
            pieces.append(f"</{name}>")
        else:  # closes nothing open, or markup inside code: literal text
            pieces.append(html.escape(typed, quote=False))
    pieces.append(html.escape(text[position:], quote=False))
    for _, index, typed in opened:  # never closed: literal text after all
        pieces[index] = html.escape(typed, quote=False)
    return "".join(pieces)
