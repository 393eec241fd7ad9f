"""Production mode: the webhook and metrics settings, the metrics themselves, the
readiness check and the database backup."""

from __future__ import annotations

import logging
import shutil
import socket
import sqlite3
import sys
import threading
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot import __main__ as entry
from bot import backup
from bot.config import ConfigError, Settings, load_settings
from bot.domain import ProviderName
from bot.healthcheck import touch_heartbeat
from bot.metrics import Metrics
from bot.storage.repository import Repository
from bot.web import readiness

TOKEN = "123456:production-test-token"
SECRET = "Webhook_secret-0123456789"
URL = "https://bot.example.org/telegram"


def _settings(**values: object) -> Settings:
    return load_settings(
        _env_file=None, telegram_bot_token=TOKEN, tronsave_api_key="ts-key", **values
    )


# -- settings ------------------------------------------------------------------------------


def test_long_polling_is_the_default() -> None:
    settings = _settings()
    assert settings.telegram_webhook_url is None
    assert settings.webhook_listen == "127.0.0.1"
    assert settings.webhook_port == 8443
    assert settings.metrics_port is None
    assert settings.metrics_listen == "127.0.0.1"


def test_a_webhook_url_needs_a_secret_token() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET_TOKEN"):
        _settings(telegram_webhook_url=URL)
    settings = _settings(telegram_webhook_url=URL, webhook_secret_token=SECRET)
    assert settings.webhook_path == "telegram"
    assert settings.webhook_secret_token is not None
    assert settings.webhook_secret_token.get_secret_value() == SECRET
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    "token", ["", " ", "with space", "slash/no", "ümlaut", "x" * 257, "dot.no", "a=b"]
)
def test_a_secret_token_outside_telegrams_rule_is_refused(token: str) -> None:
    if not token.strip():  # blank means unset, which a webhook URL does not accept
        with pytest.raises(ConfigError, match="needs WEBHOOK_SECRET_TOKEN"):
            _settings(telegram_webhook_url=URL, webhook_secret_token=token)
        return
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET_TOKEN is invalid") as info:
        _settings(telegram_webhook_url=URL, webhook_secret_token=token)
    assert token not in str(info.value)


@pytest.mark.parametrize("token", ["a", "A-z_09", "x" * 256])
def test_secret_tokens_within_the_rule_pass(token: str) -> None:
    settings = _settings(telegram_webhook_url=URL, webhook_secret_token=token)
    assert settings.webhook_secret_token is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://bot.example.org/hook",  # Telegram posts only to https
        "bot.example.org/hook",
        "ftp://bot.example.org/hook",
        "https:///hook",
        "https://bot.example.org/hook?x=1",
    ],
)
def test_a_bad_webhook_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_URL is invalid"):
        _settings(telegram_webhook_url=url, webhook_secret_token=SECRET)


def test_plain_http_is_allowed_on_loopback_only() -> None:
    for url in ("http://127.0.0.1:8443/hook", "http://localhost/hook", "http://[::1]/hook"):
        assert _settings(telegram_webhook_url=url, webhook_secret_token=SECRET).webhook_path


@pytest.mark.parametrize("port", [0, 65_536, -1])
def test_ports_must_be_ports(port: int) -> None:
    with pytest.raises(ConfigError, match="METRICS_PORT is invalid"):
        _settings(metrics_port=port)
    with pytest.raises(ConfigError, match="WEBHOOK_PORT is invalid"):
        _settings(webhook_port=port)


def test_ports_must_not_collide() -> None:
    hook = {"telegram_webhook_url": URL, "webhook_secret_token": SECRET}
    with pytest.raises(ConfigError, match="HEALTH_PORT must differ"):
        _settings(**hook, webhook_port=9000, health_port=9000)
    with pytest.raises(ConfigError, match="METRICS_PORT must differ"):
        _settings(**hook, metrics_port=8443)
    assert _settings(metrics_port=8443).metrics_port == 8443  # polling: no webhook port


def test_blank_lines_in_env_mean_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_WEBHOOK_URL", "WEBHOOK_SECRET_TOKEN", "METRICS_PORT"):
        monkeypatch.setenv(name, "")
    settings = _settings()
    assert settings.telegram_webhook_url is None
    assert settings.webhook_secret_token is None
    assert settings.metrics_port is None


def test_the_secret_token_is_masked_in_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBHOOK_SECRET_TOKEN", SECRET)

    def refuse(**_: object) -> Settings:
        raise ConfigError(f"WEBHOOK_SECRET_TOKEN is invalid ({SECRET})")

    monkeypatch.setattr(entry, "load_settings", refuse)
    monkeypatch.setattr(sys, "argv", ["bot"])
    root = logging.getLogger()
    saved = root.handlers[:], root.level, sys.excepthook, threading.excepthook
    try:
        with pytest.raises(SystemExit):
            entry.main()
    finally:
        root.handlers[:], level, sys.excepthook, threading.excepthook = saved
        root.setLevel(level)
        logging.captureWarnings(False)
    err = capsys.readouterr().err
    assert err == "configuration error: WEBHOOK_SECRET_TOKEN is invalid (***)\n"


# -- metrics -------------------------------------------------------------------------------


async def _database(tmp_path: Path) -> Path:
    path = tmp_path / "bot.sqlite3"
    repo = await Repository.open(path)
    await repo.close()
    return path


def _insert_order(db: sqlite3.Connection, order_id: int, provider: str, state: str) -> None:
    db.execute(
        "INSERT INTO orders (id, submission_id, provider, key_id, provider_order_id, chat_id,"
        " amount, duration_sec, state, created_at) VALUES (?, 1, ?, 'k', ?, 7, 65000, 3600, ?, 0)",
        (order_id, provider, f"p{order_id}", state),
    )


def _insert_notice(
    db: sqlite3.Connection, created: float, sent: float | None, *, parked: bool = False
) -> None:
    db.execute(
        "INSERT INTO outbox (chat_id, kind, payload, created_at, sent_at, dropped, failed_at)"
        " VALUES (7, 'matched', '{}', ?, ?, ?, ?)",
        (created, sent, "parked" if parked else None, created if parked else None),
    )


def _scrape(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_orders_outbox_and_push_latency_are_read_at_scrape_time(tmp_path: Path) -> None:
    path = await _database(tmp_path)
    now = 100_000.0
    metrics = Metrics(path, clock=lambda: now)
    before = _scrape(metrics)
    assert before[("tron_energy_bot_orders", (("provider", "feee"), ("state", "matched")))] == 0
    assert before[("tron_energy_bot_pushes_sent_recent", ())] == 0

    with closing(sqlite3.connect(path)) as db, db:
        _insert_order(db, 1, "tronsave", "pending")
        _insert_order(db, 2, "tronsave", "pending")
        _insert_order(db, 3, "feee", "matched")
        _insert_notice(db, now - 10, None)  # unsent
        _insert_notice(db, now - 20, None, parked=True)
        for delay in (1.0, 2.0, 3.0, 40.0):
            _insert_notice(db, now - 100, now - 100 + delay)
        _insert_notice(db, now - 9_000, now - 8_000)  # sent before the window
    found = _scrape(metrics)
    orders = "tron_energy_bot_orders"
    assert found[(orders, (("provider", "tronsave"), ("state", "pending")))] == 2
    assert found[(orders, (("provider", "feee"), ("state", "matched")))] == 1
    assert found[(orders, (("provider", "feee"), ("state", "pending")))] == 0
    assert found[("tron_energy_bot_outbox_notices", (("status", "unsent"),))] == 1
    assert found[("tron_energy_bot_outbox_notices", (("status", "parked"),))] == 1
    assert found[("tron_energy_bot_pushes_sent_recent", ())] == 4
    latency = "tron_energy_bot_push_latency_seconds"
    assert found[(latency, (("quantile", "0.5"),))] == 3.0
    assert found[(latency, (("quantile", "1"),))] == 40.0
    assert found[("tron_energy_bot_database_readable", ())] == 1


def test_an_unreadable_database_is_reported_not_raised(tmp_path: Path) -> None:
    found = _scrape(Metrics(tmp_path / "missing.sqlite3"))
    assert found[("tron_energy_bot_database_readable", ())] == 0


async def test_provider_requests_are_timed_and_counted() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("slow", request=request)
        if request.url.path == "/down":
            raise httpx.ConnectError("down", request=request)
        return httpx.Response(503 if request.url.path == "/busy" else 200)

    metrics = Metrics(Path("unused.sqlite3"))
    transports = metrics.instrument({ProviderName.FEEE: httpx.MockTransport(answer)})
    assert set(transports) == set(ProviderName)
    async with httpx.AsyncClient(transport=transports[ProviderName.FEEE]) as client:
        await client.get("http://feee.test/ok")
        await client.get("http://feee.test/busy")
        with pytest.raises(httpx.ReadTimeout):
            await client.get("http://feee.test/slow")
        with pytest.raises(httpx.ConnectError):
            await client.get("http://feee.test/down")
    found = _scrape(metrics)
    feee = ("provider", "feee")
    assert found[("tron_energy_bot_provider_request_seconds_count", (feee,))] == 4
    for outcome in ("2xx", "5xx", "timeout", "error"):
        key = ("tron_energy_bot_provider_requests_total", (("outcome", outcome), feee))
        assert found[key] == 1
    errors = "tron_energy_bot_provider_errors_total"
    assert found[(errors, (("kind", "5xx"), feee))] == 1
    assert found[(errors, (("kind", "timeout"), feee))] == 1
    assert (errors, (("kind", "2xx"), feee)) not in found


# -- readiness -----------------------------------------------------------------------------


async def test_readiness_needs_the_database_and_a_recent_poll(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    missing = readiness(tmp_path / "none.sqlite3", heartbeat, 10.0)
    ready, reason = await missing()
    assert not ready
    assert "database" in reason
    check = readiness(await _database(tmp_path), heartbeat, 10.0)
    ready, reason = await check()
    assert not ready
    assert "does not exist" in reason
    touch_heartbeat(heartbeat)
    assert (await check())[0]
    touch_heartbeat(heartbeat, now=1.0)  # long ago: the poller is stuck
    ready, reason = await check()
    assert not ready
    assert "ago" in reason


# -- backup --------------------------------------------------------------------------------


def _live_wal_database(path: Path) -> sqlite3.Connection:
    """A WAL database whose committed rows are still only in the -wal file, with a
    writer holding a transaction open, as while the bot runs."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE t (n INTEGER)")
    db.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(100)])
    db.execute("BEGIN")
    db.execute("INSERT INTO t VALUES (-1)")  # not committed: not in the backup
    return db


def test_backup_of_a_live_wal_database_has_every_committed_row(tmp_path: Path) -> None:
    source = tmp_path / "bot.sqlite3"
    writer = _live_wal_database(source)
    try:
        naive = tmp_path / "copied.sqlite3"
        shutil.copyfile(source, naive)  # what a plain cp of the main file would give
        with closing(sqlite3.connect(naive)) as db:
            assert db.execute("SELECT name FROM sqlite_master").fetchall() == []
        dest = backup.backup(source, tmp_path / "backup.sqlite3")
    finally:
        writer.close()
    assert dest == tmp_path / "backup.sqlite3"
    with closing(sqlite3.connect(dest)) as db:
        assert db.execute("SELECT COUNT(*), MIN(n) FROM t").fetchone() == (100, 0)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not list(tmp_path.glob(".*partial"))


def test_backup_never_overwrites_and_names_files_in_a_directory(tmp_path: Path) -> None:
    source = tmp_path / "bot.sqlite3"
    _live_wal_database(source).close()
    target = tmp_path / "backups"
    target.mkdir()
    written = backup.backup(source, target)
    assert written.parent == target
    assert written.name.startswith("bot-")
    with pytest.raises(backup.BackupError, match="exists already"):
        backup.backup(source, written)
    with pytest.raises(backup.BackupError, match="no database"):
        backup.backup(tmp_path / "nothing.sqlite3", tmp_path / "x.sqlite3")


def test_backup_command_reads_database_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bot.sqlite3"
    _live_wal_database(source).close()
    monkeypatch.setenv("DATABASE_PATH", str(source))
    assert backup.main([str(tmp_path / "b.sqlite3")]) == 0
    assert "backed up" in capsys.readouterr().out
    assert backup.main([str(tmp_path / "b.sqlite3")]) == 1
    assert "exists already" in capsys.readouterr().err


def test_the_entry_point_runs_the_backup_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "bot.sqlite3"
    _live_wal_database(source).close()
    dest = tmp_path / "via-entry.sqlite3"
    argv = ["tron-energy-bot", "backup", str(dest), "--database", str(source)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as info:
        entry.main()
    assert info.value.code == 0
    assert dest.is_file()


def test_a_metrics_port_in_use_stops_start_up_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        settings = _settings(database_path=tmp_path / "bot.sqlite3", metrics_port=port)
        assert entry.run(settings) == entry.EXIT_UNEXPECTED
    critical = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(critical) == 1
    assert critical[0].startswith(f"cannot serve metrics on 127.0.0.1:{port}")
