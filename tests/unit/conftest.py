"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.repository import Repository


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    """A migrated repository on a fresh SQLite file."""
    r = await Repository.open(tmp_path / "bot.sqlite3")
    yield r
    await r.close()
