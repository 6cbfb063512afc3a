"""Numbers typed by people or carried in button data: request, broadcast and question ids,
pages, menu choices.

Only ASCII digits count (`str.isdigit` also accepts `²` and `①`, which `int()` rejects), and a
number past `maximum` (by default the database's integer range) is no number at all: looking it
up would fail in the database instead of finding nothing.
"""
from __future__ import annotations

MAX_ID = 2**31 - 1  # INTEGER columns (PostgreSQL's int4)


def whole_number(text: str | None, maximum: int = MAX_ID) -> int | None:
    """`text` as a non-negative integer no larger than `maximum`, or None."""
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None
