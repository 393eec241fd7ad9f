"""`bot.__main__.run`: every start-up failure is one redacted CRITICAL line and an exit code."""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot import __main__ as entry
from bot.config import ConfigError, Settings

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


def test_a_configuration_error_is_masked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Should a validation message ever quote a value, the secrets are masked anyway,
    # those from the environment and those from .env alike.
    key = "feee-key-from-dotenv-0123"
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"FEEE_API_KEY={key}\n")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)

    def refuse(**_: object) -> Settings:
        raise ConfigError(f"TELEGRAM_BOT_TOKEN is invalid ({TOKEN} / {key})")

    monkeypatch.setattr(entry, "load_settings", refuse)
    root = logging.getLogger()
    saved = root.handlers[:], root.level, sys.excepthook, threading.excepthook
    try:
        with pytest.raises(SystemExit) as info:
            entry.main()
    finally:
        root.handlers[:], level, sys.excepthook, threading.excepthook = saved
        root.setLevel(level)
        logging.captureWarnings(False)
    assert info.value.code == entry.EXIT_CONFIG
    err = capsys.readouterr().err
    assert err == "configuration error: TELEGRAM_BOT_TOKEN is invalid (*** / ***)\n"


def test_exit_now_does_not_wait_for_lingering_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    exits: list[int] = []
    monkeypatch.setattr("os._exit", exits.append)  # the real one would end pytest
    monkeypatch.setattr("logging.shutdown", lambda: None)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=False)
    worker.start()
    try:
        with pytest.raises(SystemExit):  # only because the stand-in for os._exit returns
            entry.exit_now(3)
    finally:
        stop.set()
        worker.join()
    assert exits == [3]


def test_exit_now_exits_normally_without_lingering_threads() -> None:
    with pytest.raises(SystemExit) as info:
        entry.exit_now(4)
    assert info.value.code == 4


def test_the_trongrid_key_is_masked_like_the_other_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "trongrid-main-test-key"
    settings = _settings(tmp_path).model_copy(update={"trongrid_api_key": SecretStr(key)})
    masked: list[str] = []
    monkeypatch.setattr(entry, "load_settings", lambda: settings)
    monkeypatch.setattr(
        entry, "configure_logging", lambda level, secrets, **_: masked.extend(secrets)
    )
    monkeypatch.setattr(entry, "run", lambda _: 0)
    entry.main()
    assert key in masked
    # Before Settings can be built too: from the environment.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRONGRID_API_KEY", key)
    assert key in entry._raw_secrets()
