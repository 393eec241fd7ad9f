"""Operator alerts against `python -m bot` in its own process: TronSave refusing the
bot's key in every poll cycle gives exactly one "provider failing" alert in the operator
chat, whatever the cycles that follow, and the key never reaches the chat or the log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.services.alerts_operator import FAILURES_TO_ALERT
from bot.tron_address import address_from_bytes
from tests.e2e.process import POLL_INTERVAL, TS_KEY, BotLauncher, TelegramUser, bot_env
from tests.support.telegram_server import FakeTelegramServer

pytestmark = pytest.mark.e2e

OPERATOR = 4_300_001
A1 = address_from_bytes(b"\x5a" * 20)


def test_a_failing_provider_gives_the_operator_one_alert(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    env = bot_env(
        telegram_url=tg.base_url,
        database=database,
        tronsave_url=tronsave.base_url,
        OPERATOR_CHAT_ID=str(OPERATOR),
    )
    bot = launcher.start(env)
    summary = alice.wait_for("Order summary", after=alice.send(f"/new 65000 15m 70 {A1}"))
    alice.press_and_wait(summary, "Confirm", "TronSave")  # an open order to track
    tronsave.configure(api_key="revoked")  # from now on every request gets 401
    alert = tg.wait_for_message(
        OPERATOR, lambda m: "Provider failing" in (m.text or ""), timeout=20
    )
    assert f"TronSave failed {FAILURES_TO_ALERT} poll cycles" in (alert.text or "")
    time.sleep(6 * POLL_INTERVAL)  # more failing cycles: no second alert
    assert [m.message_id for m in tg.messages(OPERATOR)] == [alert.message_id]
    log = bot.log()
    assert "poll cycle done" in log
    for where in (alert.text or "", log):
        assert TS_KEY not in where
