"""Texts of the knowledge-base tools (validation problems, the guide import, staff additions),
from `knowledge/locales/<lang>.yaml`, and the catalogue machinery behind every locale text.

knowledge/ sits below bot/ and never imports it, so it keeps its own catalogue; the
application's texts (`bot/foundation/i18n.py`) are a second `Catalogue` over `bot`'s locale
files. zh-CN is the reference locale; a key missing in another locale falls back to zh-CN.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_LANG = "zh-CN"
SUPPORTED = ("zh-CN", "en")


class Catalogue:
    """The texts of one locale directory, `<lang>.yaml` each, nested keys joined by dots."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.flat = lru_cache(maxsize=None)(self._load)

    def _load(self, lang: str) -> dict[str, str]:
        data = yaml.safe_load((self.directory / f"{lang}.yaml").read_text(encoding="utf-8"))
        flat: dict[str, str] = {}

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(f"{prefix}.{key}" if prefix else str(key), value)
            else:
                flat[prefix] = str(node)

        walk("", data)
        return flat

    def t(self, key: str, lang: str = DEFAULT_LANG, /, **params: Any) -> str:
        """Render the text `key` in `lang`, formatted with `params`."""
        text = self.flat(lang).get(key) if lang in SUPPORTED else None
        if text is None:
            text = self.flat(DEFAULT_LANG)[key]
        return text.format(**params) if params else text

    def keys(self, lang: str) -> set[str]:
        return set(self.flat(lang))


def pick_lang(language_code: str | None) -> str:
    """Map a client language code (`zh-hans`, `en-US`, …) to a supported locale."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANG


LANGUAGE_NAMES = {"zh-CN": ("zh-cn", "zh", "cn", "zh_cn", "zh-hans", "chinese", "中文", "简体", "简体中文", "汉语"),
                  "en": ("en", "en-us", "en-gb", "english", "英文", "英语")}


def language_named(name: str) -> str | None:
    """The locale a user means by `/lang <name>` (zh, 中文, English …), or None."""
    wanted = name.strip().lower()
    return next((lang for lang, names in LANGUAGE_NAMES.items() if wanted in names), None)


def other_language(lang: str) -> str:
    """What `/lang` without a name switches to."""
    return "en" if lang == DEFAULT_LANG else DEFAULT_LANG


def cli_lang() -> str:
    return pick_lang(os.environ.get("SME_LANG") or DEFAULT_LANG)


TEXTS = Catalogue(Path(__file__).with_name("locales"))
t = TEXTS.t
keys = TEXTS.keys
