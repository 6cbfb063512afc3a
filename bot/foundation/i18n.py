"""Locale texts: every string a user or staff member reads comes from `locales/<lang>.yaml`
(the knowledge-base tools' own texts are in `knowledge/locales/`, see `knowledge/texts.py`).

zh-CN is the reference locale; a key missing in another locale falls back to zh-CN.
"""
from __future__ import annotations

from pathlib import Path

from knowledge.texts import (DEFAULT_LANG, SUPPORTED, Catalogue, cli_lang, language_named,
                             other_language, pick_lang)

__all__ = ["DEFAULT_LANG", "SUPPORTED", "LOCALES_DIR", "cli_lang", "language_named",
           "other_language", "pick_lang", "t", "keys"]

LOCALES_DIR = Path(__file__).with_name("locales")
TEXTS = Catalogue(LOCALES_DIR)
_catalog = TEXTS.flat
t = TEXTS.t
keys = TEXTS.keys
