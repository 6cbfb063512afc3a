"""Removing given strings (a person's phone, names, codes) from free-text and JSON columns.

Only the strings are replaced, wherever they occur in a value (a staff card, a relayed message,
a raw update): the rest of the row stays usable. JSON values are decoded and only their string
values rewritten, so the document stays valid.
"""
from __future__ import annotations

import html
import json
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

MIN_TERM = 2  # a shorter string would match everywhere


def variants(terms: list[str | None]) -> list[str]:
    """The strings to look for: each term as written and HTML-escaped, longest first (a name
    inside a company name is replaced after it)."""
    found = {v for term in terms if term and len(term.strip()) >= MIN_TERM
             for v in (term.strip(), html.escape(term.strip(), quote=False))}
    return sorted(found, key=len, reverse=True)


def scrub_text(text: str, needles: list[str], mark: str) -> str:
    for needle in needles:
        text = text.replace(needle, mark)
    return text


def _scrub_json(value: Any, needles: list[str], mark: str) -> Any:
    if isinstance(value, str):
        return scrub_text(value, needles, mark)
    if isinstance(value, list):
        return [_scrub_json(v, needles, mark) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, needles, mark) for k, v in value.items()}
    return value


def scrub_value(text: str, needles: list[str], mark: str, is_json: bool) -> str:
    if not is_json:
        return scrub_text(text, needles, mark)
    try:
        return json.dumps(_scrub_json(json.loads(text), needles, mark), ensure_ascii=False)
    except ValueError:  # not JSON after all: treat it as text
        return scrub_text(text, needles, mark)


async def scrub_column(session: AsyncSession, column: InstrumentedAttribute, needles: list[str],
                       mark: str, *conditions, is_json: bool = False) -> int:
    """Replace every needle in `column` (of the rows matching `conditions`); returns how many
    rows changed. JSON text stores non-ASCII as is (`ensure_ascii=False` everywhere), so a
    substring search finds the rows."""
    if not needles:
        return 0
    model = column.class_
    keys = list(model.__mapper__.primary_key)
    rows = (await session.execute(select(*keys, column).where(
        *conditions, or_(*(column.contains(n, autoescape=True) for n in needles))))).all()
    for *key, value in rows:
        await session.execute(
            update(model).where(*(k == v for k, v in zip(keys, key)))
            .values({column.key: scrub_value(value, needles, mark, is_json)})
            .execution_options(synchronize_session=False))
    return len(rows)
