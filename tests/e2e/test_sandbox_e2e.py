"""`SANDBOX=true python -m bot` with nothing but a token: the bot starts its own provider
simulators and the whole story runs with no provider key, no simulator driven by the test
and no request leaving 127.0.0.1 (the fake Bot API included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.tron_address import address_from_bytes
from tests.e2e.process import (
    BotLauncher,
    TelegramUser,
    bot_env,
    labels,
    query_db,
    run_bot_to_exit,
)
from tests.support.telegram_server import FakeTelegramServer

pytestmark = pytest.mark.e2e

A1 = address_from_bytes(b"\x5a" * 20)
A2 = address_from_bytes(b"\x5b" * 20)
DELIVERED = "Energy delivered"
# The sandbox matches TronSave orders 3 s after creation; the bot then needs a poll cycle.
MATCH_TIMEOUT = 15.0


def _sandbox_env(tg: FakeTelegramServer, database: Path) -> dict[str, str]:
    # No provider key or URL at all; TronSave's pacing shortened so the test stays quick
    # (the sandbox's simulator follows the bot's pacing, whatever it is).
    return bot_env(
        telegram_url=tg.base_url,
        database=database,
        SANDBOX="true",
        TRONSAVE_MIN_INTERVAL_SECONDS="0.2",
    )


def _orders(database: Path) -> list[tuple[int, str, str]]:
    rows = query_db(database, "SELECT id, provider, state FROM orders ORDER BY id")
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def test_sandbox_walks_order_match_push_confirm_refund_without_provider_keys(
    launcher: BotLauncher, tg: FakeTelegramServer, alice: TelegramUser, database: Path
) -> None:
    bot = launcher.start(_sandbox_env(tg, database))
    assert not database.exists()  # the configured database is left alone
    database = database.with_name("sandbox.sqlite3")
    log = bot.log()
    assert "SANDBOX mode" in log, log
    assert "http://127.0.0.1:" in log, log

    # Both simulated providers quote; TronSave (60 SUN/unit) is the cheaper one.
    summary = alice.wait_for("Order summary", after=alice.send(f"/new 65000 15m 200 {A1}"))
    text = summary.text or ""
    assert "<b>TronSave</b>: 60 SUN/unit, total <b>3.9 TRX</b>" in text, text
    assert "<b>Feee.io</b>" in text, text
    submitted = alice.press_and_wait(summary, "Confirm with TronSave", "Submitted to TronSave")
    [(order_id, provider, state)] = _orders(database)
    assert (provider, state) == ("tronsave", "pending")

    # Nobody matches it but the sandbox itself, a few seconds later; the push follows.
    push = alice.wait_for(DELIVERED, after=submitted.message_id, timeout=MATCH_TIMEOUT)
    assert f"#{order_id}" in (push.text or "")
    reply = alice.press_and_wait(push, f"Confirm now for a refund #{order_id}", "Confirmation")
    reply_text = reply.text or ""
    assert "Confirmed" in reply_text, reply_text
    assert "Refunded:" in reply_text, reply_text
    assert "Refunded: 0 TRX" not in reply_text, reply_text  # the unused part came back
    assert "Net cost:" in reply_text, reply_text
    assert [s for oid, _, s in _orders(database) if oid == order_id] == ["confirmed"]

    # Feee delivers at once: the push comes with the next poll cycle.
    summary = alice.wait_for("Order summary", after=alice.send(f"/new 65000 15m 200 {A2}"))
    summary = alice.press_and_wait(summary, "Feee.io ·", "Order summary")
    submitted = alice.press_and_wait(summary, "Confirm with Feee.io", "Submitted to Feee.io")
    push = alice.wait_for(DELIVERED, after=submitted.message_id, timeout=MATCH_TIMEOUT)
    assert f"<code>{A2[:6]}…{A2[-4:]}</code>" in (push.text or ""), push.text
    assert not any("Confirm" in b for b in labels(push)), labels(push)

    reply = alice.reply_to("/balance")
    balance = reply.text or ""
    assert "TronSave" in balance, balance
    assert "Feee.io" in balance, balance
    # Each deposit address follows as a QR code photo, uploaded over HTTP (multipart).
    qr = alice.wait_for("Feee.io</b> deposit address", after=reply.message_id)
    assert qr.versions[0].method == "sendPhoto", qr
    assert "<code>T" in (qr.text or ""), qr.text
    assert bot.terminate() == 0


def test_without_sandbox_and_keys_the_bot_still_refuses_to_start(
    tg: FakeTelegramServer, tmp_path: Path
) -> None:
    env = bot_env(telegram_url=tg.base_url, database=tmp_path / "db.sqlite3", SANDBOX="false")
    done = run_bot_to_exit(env, tmp_path)
    assert done.returncode == 2
    assert "no provider configured" in done.stderr
    assert "SANDBOX=true" in done.stderr  # the way out is named
