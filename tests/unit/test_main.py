"""`bot.__main__.run`: every start-up failure is one redacted CRITICAL line and an exit code."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot import __main__ as entry
from bot.config import Settings

TOKEN = "123456:main-test-token-never-shown"


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        tronsave_api_key="ts-main-test-key",
        database_path=tmp_path / "bot.sqlite3",
    )


def test_an_unexpected_error_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(settings: Settings) -> None:
        raise ValueError("something odd")

    monkeypatch.setattr(entry, "build_application", explode)
    with caplog.at_level(logging.INFO):
        assert entry.run(_settings(tmp_path)) == entry.EXIT_UNEXPECTED
    critical = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(critical) == 1
    assert critical[0].getMessage() == (
        "the bot stopped on an unexpected error: ValueError: something odd"
    )
    assert critical[0].exc_info is None  # the traceback is DEBUG only


def test_a_schema_from_a_newer_bot_is_a_database_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(tmp_path)
    with sqlite3.connect(settings.database_path) as db:
        db.execute("PRAGMA user_version = 9999")
    assert entry.run(settings) == entry.EXIT_DATABASE
    assert "newer than this bot" in caplog.records[-1].getMessage()
