"""Fixtures of the editor tests: the editor service on a real SQLite store and knowledge base."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db.database import open_database
from bot.helpcenter.editor import EditorService
from bot.settings import EditorConfig
from tests.conftest import KBFactory


@pytest.fixture
async def editor(tmp_path: Path, make_kb: KBFactory) -> AsyncIterator[EditorService]:
    database = open_database(f"sqlite:///{tmp_path / 'bot.db'}")
    service = EditorService(database.articles, make_kb(tmp_path / "index"), EditorConfig())
    yield service
    await service.aclose()
    await database.conversations.aclose()
