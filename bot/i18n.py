"""Locale texts: every string a user or staff member reads comes from `locales/<lang>.yaml`.

zh-CN is the reference locale; a key missing in another locale falls back to zh-CN.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LANG = "zh-CN"
SUPPORTED = ("zh-CN", "en")


@lru_cache(maxsize=None)
def _catalog(lang: str) -> dict[str, str]:
    data = yaml.safe_load((LOCALES_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = str(node)

    walk("", data)
    return flat


def pick_lang(language_code: str | None) -> str:
    """Map a client language code (`zh-hans`, `en-US`, …) to a supported locale."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


def cli_lang() -> str:
    return pick_lang(os.environ.get("SME_LANG") or DEFAULT_LANG)


def t(key: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
    """Render the text `key` in `lang`, formatted with `params`."""
    text = _catalog(lang).get(key) if lang in SUPPORTED else None
    if text is None:
        text = _catalog(DEFAULT_LANG)[key]
    return text.format(**params) if params else text


def keys(lang: str) -> set[str]:
    return set(_catalog(lang))
