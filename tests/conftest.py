"""Shared fixtures: a small knowledge base, settings on a temporary SQLite file."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings, load_settings

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def kb_root(tmp_path: Path) -> Path:
    """A writable copy of the small fixture knowledge base (root with faq/ inside)."""
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, root)
    return root


@pytest.fixture
def kb_dir(kb_root: Path) -> Path:
    return kb_root / "faq"


@pytest.fixture
def settings(tmp_path: Path, kb_dir: Path) -> Settings:
    return load_settings(environ={
        "SME_CONFIG": str(REPO / "config.yaml"),
        "SME_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        "SME_KNOWLEDGE__DIR": str(kb_dir),
        "SME_KNOWLEDGE__SEMANTIC": "off",
        "SME_KNOWLEDGE__CACHE_DIR": str(tmp_path / "cache"),
    })
