"""Production mode against `python -m bot` in its own process: webhook updates (the
secret token checked), the health endpoints, Prometheus metrics and a backup of the live
database."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox.tronsave import TronSaveSimulator
from bot.storage.repository import Repository
from tests.e2e.process import ALICE, TOKEN, BotLauncher, bot_env, wait_until
from tests.support.telegram_server import FakeTelegramServer

pytestmark = pytest.mark.e2e

SECRET = "e2e_Webhook-secret_0123456789"


def _free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _tables(database: Path) -> dict[str, list[tuple[object, ...]]]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        dump = {name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall()) for name in names}
        dump["user_version"] = [db.execute("PRAGMA user_version").fetchone()]
    return dump


def _seed_closed_order(database: Path) -> None:
    """One completed order from an earlier run (closed: the poller leaves it alone)."""
    asyncio.run(_migrate(database))
    with closing(sqlite3.connect(database)) as db, db:
        db.execute(
            "INSERT INTO submissions (id, chat_id, user_id, provider, key_id, amount,"
            " duration_sec, max_price, deadline_sec, receivers, state, created_at, updated_at)"
            " VALUES (1, ?, ?, 'tronsave', 'k', 65000, 3600, 70, 300, '[]', 'submitted', 0, 0)",
            (ALICE, ALICE),
        )
        db.execute(
            "INSERT INTO orders (submission_id, provider, key_id, provider_order_id, chat_id,"
            " amount, duration_sec, state, created_at, closed_at)"
            " VALUES (1, 'tronsave', 'k', 'old-1', ?, 65000, 3600, 'completed', 0, 0)",
            (ALICE,),
        )


async def _migrate(database: Path) -> None:
    repo = await Repository.open(database)
    await repo.close()


def test_webhook_health_metrics_and_backup(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    database: Path,
    tmp_path: Path,
) -> None:
    hook_port, health_port, metrics_port = _free_port(), _free_port(), _free_port()
    url = f"http://127.0.0.1:{hook_port}/telegram/updates"
    env = bot_env(
        telegram_url=tg.base_url,
        database=database,
        tronsave_url=tronsave.base_url,
        TELEGRAM_WEBHOOK_URL=url,
        WEBHOOK_PORT=str(hook_port),
        WEBHOOK_SECRET_TOKEN=SECRET,
        HEALTH_PORT=str(health_port),
        METRICS_PORT=str(metrics_port),
        LOG_LEVEL="DEBUG",  # the secrets stay masked even there
    )
    _seed_closed_order(database)
    bot = launcher.start(env, ready_call="setWebhook", listening=hook_port)
    hook = tg.webhook()
    assert hook["url"] == url
    assert hook["secret_token"] == SECRET
    assert set(hook["allowed_updates"]) == {"message", "callback_query"}
    health = f"http://127.0.0.1:{health_port}"
    assert _get(f"{health}/healthz") == (200, "ok\n")

    def ready() -> str | None:
        status, reason = _get(f"{health}/readyz")
        return reason if status == 200 else None

    reason = wait_until(ready, timeout=10, what="readiness")
    assert reason.startswith("ok:")

    # Without the secret token, or with a wrong one, the update is refused and ignored.
    refused, _ = tg.webhook_command("/start", user_id=ALICE, chat_id=ALICE, secret_token=None)
    assert refused == 403
    wrong, _ = tg.webhook_command("/start", user_id=ALICE, chat_id=ALICE, secret_token="nope")
    assert wrong == 403
    accepted, sent = tg.webhook_command("/balance", user_id=ALICE, chat_id=ALICE)
    assert accepted == 200
    reply = tg.wait_for_message(ALICE, lambda m: "TronSave" in (m.text or ""), after=sent)
    assert [m.message_id for m in tg.messages(ALICE)] == [reply.message_id]

    metrics = _samples(_get(f"http://127.0.0.1:{metrics_port}/metrics")[1])
    latency = "tron_energy_bot_provider_request_seconds_count"
    assert metrics[(latency, (("provider", "tronsave"),))] >= 1
    assert metrics[("tron_energy_bot_database_readable", ())] == 1
    orders = "tron_energy_bot_orders"
    assert metrics[(orders, (("provider", "tronsave"), ("state", "completed")))] == 1
    assert metrics[(orders, (("provider", "tronsave"), ("state", "pending")))] == 0
    assert metrics[("tron_energy_bot_outbox_notices", (("status", "unsent"),))] == 0
    assert metrics[("tron_energy_bot_outbox_notices", (("status", "parked"),))] == 0

    # A backup of the running bot's database (WAL) restores to an equal database.
    assert Path(f"{database}-wal").exists()
    copy = tmp_path / "backup.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "bot.backup", str(copy), "--database", str(database)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _tables(copy) == _tables(database)
    assert not Path(f"{copy}-wal").exists()

    assert bot.terminate() == 0
    with pytest.raises(urllib.error.URLError):
        _get(f"{health}/healthz")
    log = bot.log()
    assert "webhook mode" in log
    assert SECRET not in log
    assert TOKEN not in log
