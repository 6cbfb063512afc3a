"""House rules that code review would otherwise have to catch.

The import graph is computed from the source (every `import`, relative or absolute, at module
level or inside a function or an `if TYPE_CHECKING:` block) and checked against the rooms of
ARCHITECTURE.md: a module may import its own room and the rooms below it, never one above,
and no two modules may import each other, directly or around a loop.
"""
import ast
import string
from pathlib import Path

import pytest

from bot.foundation.i18n import _catalog, keys
from knowledge import texts

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "knowledge", "storage")
# Rooms from the bottom up: the most specific prefix of a module's name decides its room.
# Rooms on the same level are independent of each other.
ROOMS = {
    "knowledge": 0,
    "storage": 0,
    "bot.foundation": 1,     # settings, locale texts, logging, periods, working calendar
    "bot.delivery": 2,       # outgoing messages, outbox, pacing, flood guard
    "bot.requests": 3,       # tickets, SLA, contacts, staff directory, audit, admission
    "bot.outreach": 4,       # broadcasts, segments, subscriptions
    "bot.answering": 4,      # assistant, answer messages, question review
    "bot.reports": 5,        # statistics, ledger, charts, exports
    "bot.app": 6,            # services container, scheduler, staff commands, leadership
    "handlers": 7,           # Telegram adapters
    "bot.channels": 8,       # terminal chat, Telegram application and runner, web server
    "bot": 9,                # the CLI (`sme-assistant`, `python -m bot`)
}
# Rooms that may import python-telegram-bot: the Telegram adapters, the Telegram channel and
# the PTB persistence in storage/.
TELEGRAM = {"handlers", "bot.channels", "storage.persistence"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES
            for path in (REPO / package).rglob("*.py") if "migrations" not in path.parts}


def room_of(module: str) -> str:
    return max((room for room in ROOMS if module == room or module.startswith(room + ".")),
               key=len)


def imports_of(module: str, path: Path) -> list[tuple[str, int, str]]:
    """(imported name, line, the import statement) for every import in the module."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, ast.unparse(node)) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            found += [(f"{base}.{alias.name}", node.lineno, ast.unparse(node))
                      for alias in node.names]
            found.append((base, node.lineno, ast.unparse(node)))
    return found


def import_graph() -> dict[str, dict[str, str]]:
    """module -> {imported project module: where and how}, plus `telegram` when imported."""
    modules = project_modules()
    graph: dict[str, dict[str, str]] = {}
    for module, path in modules.items():
        edges = graph.setdefault(module, {})
        for name, line, statement in imports_of(module, path):
            where = f"{path.relative_to(REPO)}:{line}: {statement}"
            if name.split(".")[0] == "telegram":
                edges.setdefault("telegram", where)
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module and not module.startswith(name + "."):
                edges.setdefault(name, where)
    return graph


def forbidden_imports(graph: dict[str, dict[str, str]]) -> list[str]:
    problems = []
    for module, edges in sorted(graph.items()):
        room = room_of(module)
        for target, where in sorted(edges.items()):
            if target == "telegram":
                if not any(module == r or module.startswith(r + ".") for r in TELEGRAM):
                    problems.append(f"{where}  ({room} may not import telegram)")
                continue
            other = room_of(target)
            if other != room and ROOMS[other] >= ROOMS[room]:
                problems.append(f"{where}  ({room}, level {ROOMS[room]}, may not import "
                                f"{other}, level {ROOMS[other]})")
    return problems


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_is_in_a_room():
    assert [m for m in project_modules() if not any(
        m == room or m.startswith(room + ".") for room in ROOMS)] == []


def test_rooms_only_import_downwards_and_the_core_never_imports_telegram():
    problems = forbidden_imports(import_graph())
    assert not problems, "imports against ARCHITECTURE.md:\n" + "\n".join(problems)


def test_no_import_cycles():
    graph = import_graph()
    described = []
    for component in cycles(graph):
        described.append(" <-> ".join(component) + "\n" + "\n".join(
            f"    {graph[a][b]}" for a in component for b in component if b in graph[a]))
    assert not described, "import cycles:\n" + "\n".join(described)


@pytest.mark.parametrize("statement, problem", [
    ("from bot.app.services import Services", "bot.foundation, level 1, may not import bot.app"),
    ("from .workcalendar import WorkCalendar", None),
    ("from telegram import Bot", "bot.foundation may not import telegram"),
])
def test_the_rules_catch_an_upward_import_and_a_cycle(tmp_path, monkeypatch, statement,
                                                      problem):
    """An import added to `bot/foundation/settings.py` (which `workcalendar` imports): the test
    names the offending import."""
    graph = import_graph()
    settings = REPO / "bot" / "foundation" / "settings.py"
    copy = tmp_path / "settings.py"
    copy.write_text(settings.read_text(encoding="utf-8") + f"\n{statement}\n", encoding="utf-8")
    for name, line, text in imports_of("bot.foundation.settings", copy):
        if text == statement:
            while name not in graph:
                name = name.rpartition(".")[0] if "." in name else "telegram"
                if name == "telegram":
                    break
            graph["bot.foundation.settings"][name] = f"bot/foundation/settings.py:{line}: {text}"
    found = "\n".join(forbidden_imports(graph))
    if problem:
        assert statement in found and problem in found
    else:
        assert ["bot.foundation.settings", "bot.foundation.workcalendar"] in cycles(graph)


@pytest.mark.parametrize("catalog, keys_of", [(_catalog, keys), (texts.TEXTS.flat, texts.keys)])
def test_english_locale_is_complete_with_the_same_placeholders(catalog, keys_of):
    assert sorted(keys_of("zh-CN") - keys_of("en")) == []
    formatter = string.Formatter()
    zh, en = catalog("zh-CN"), catalog("en")
    for key in zh:
        fields = lambda text: {p[1] for p in formatter.parse(text) if p[1]}  # noqa: E731
        assert fields(zh[key]) == fields(en[key]), key


@pytest.mark.parametrize("keys_of", [keys, texts.keys])
def test_locale_keys_are_not_yaml_booleans(keys_of):
    for lang in ("zh-CN", "en"):
        assert not [k for k in keys_of(lang) if {"True", "False"} & set(k.split("."))]


def test_the_two_catalogues_share_no_key():
    assert keys("zh-CN") & texts.keys("zh-CN") == set()
