"""Sizing shown, through `python -m bot` in its own process: the payee asked, the need
simulated on the TRON node simulator, the suggested amount taken with one tap, and the
saving shown after the Confirm."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import BotLauncher, TelegramUser, bot_env, labels
from tests.support.simulators import sim_orders
from tests.support.telegram_server import FakeTelegramServer

pytestmark = pytest.mark.e2e

SENDER = address_from_bytes(b"\x51" * 20)  # the energy receiver, who sends the USDT
INACTIVE = address_from_bytes(b"\x52" * 20)
PAYEE = address_from_bytes(b"\x53" * 20)  # holds no USDT yet: 130,285 per transfer
USDT = 1_000_000


def test_the_summary_sizes_the_order_to_the_payee_and_takes_the_suggestion(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    tmp_path: Path,
) -> None:
    with TronNodeSimulator(energy_fee=100, recovery_seconds=0) as node:
        node.set_account(SENDER, usdt=20 * USDT, trx_sun=50_000_000, energy_limit=5_000)
        node.set_account(PAYEE)
        env = bot_env(
            telegram_url=tg.base_url,
            database=tmp_path / "bot.sqlite3",
            tronsave_url=tronsave.base_url,
            tron_node_url=node.base_url,
        )
        launcher.start(env)

        assert "How much energy" in (alice.reply_to("/new").text or "")
        alice.reply_to("65000")
        alice.reply_to("15m")
        assert "Which addresses" in (alice.reply_to("70").text or "")
        question = alice.reply_to(f"{SENDER} {INACTIVE}")
        assert "Who receives the USDT" in (question.text or "")
        assert any("Skip" in label for label in labels(question))

        summary = alice.wait_for("Order summary", after=alice.send(PAYEE))
        text = summary.text or ""
        assert "130,285</b> energy (simulated on chain)" in text
        assert "not activated: a delegation to it may fail" in text
        assert "has 5,000; 65,000 more does not cover one transfer" in text
        assert "Suggested amount: <b>130,285</b> energy per address" in text
        assert "Burning TRX instead:" in text
        assert "at 100 SUN" in text

        resized = alice.press_and_wait(summary, "Use 130,285 energy", "Order summary")
        assert "Energy: 130,285 × 2 address(es)" in (resized.text or "")
        alice.press_and_wait(resized, "Confirm", "Submitted to TronSave")
        assert sorted(o["amount"] for o in sim_orders(tronsave)) == [130_285, 130_285]

        # Matched: the energy is delegated, the user sends, then confirms for a refund.
        before = alice.last_id()
        tronsave.match()
        push = alice.wait_for("Energy delivered", after=before)
        node.delegate_energy(SENDER, 130_285)
        node.transfer_usdt(SENDER, PAYEE, USDT)  # 130,285 of the 135,285 on hand
        reply = alice.press_and_wait(push, "Confirm now for a refund #1", "Net cost:")
        text = reply.text or ""
        assert "Net cost:" in text
        # 130,285 - 5,000 left = 125,285 of the rental used, burning 12.5285 TRX.
        assert "against burning 12.5285 TRX for the 125,285 energy used (at 100 SUN)" in text
