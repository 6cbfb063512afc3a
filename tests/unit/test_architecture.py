"""House rules that code review would otherwise have to catch."""
import ast
import string
from pathlib import Path

from bot.i18n import _catalog, keys

REPO = Path(__file__).resolve().parents[2]
# The channel-agnostic core: never imports telegram (wiring modules may).
CORE = ["assistant", "tickets", "outbox", "contacts", "staff", "messages", "ticket_views",
        "answer_views", "decisions", "privacy", "console", "config", "i18n", "services",
        "validators"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_never_imports_telegram():
    for name in CORE:
        assert "telegram" not in imported_modules(REPO / "bot" / f"{name}.py"), name
    for path in (REPO / "knowledge").glob("*.py"):
        assert "telegram" not in imported_modules(path), path.name


def test_english_locale_is_complete_with_the_same_placeholders():
    assert sorted(keys("zh-CN") - keys("en")) == []
    formatter = string.Formatter()
    zh, en = _catalog("zh-CN"), _catalog("en")
    for key in zh:
        fields = lambda text: {p[1] for p in formatter.parse(text) if p[1]}  # noqa: E731
        assert fields(zh[key]) == fields(en[key]), key


def test_locale_keys_are_not_yaml_booleans():
    for lang in ("zh-CN", "en"):
        assert not [k for k in keys(lang) if {"True", "False"} & set(k.split("."))]
