"""Watched addresses against `python -m bot` in its own process: the TRON node simulator
and the TronSave simulator over HTTP, the fake Bot API, a real SQLite file. A watch
alerts once, not at every check; auto-rent places exactly one order within its budget
and, once the budget is spent, stops and says so once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import BotLauncher, TelegramUser, bot_env, labels
from tests.support.simulators import sim_orders
from tests.support.telegram_server import FakeTelegramServer

pytestmark = pytest.mark.e2e

ADDR = address_from_bytes(b"\x33" * 20)
WATCH_INTERVAL = 0.3
# Several checks long: a repeated push, if any, would have arrived by then.
QUIET_PERIOD = 8 * WATCH_INTERVAL


@pytest.fixture
def node() -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0) as sim:
        sim.set_account(ADDR, energy_limit=100_000)
        yield sim


def resource_reads(node: TronNodeSimulator) -> int:
    counts = cast(dict[str, int], node.request_log()["counts"])
    return counts.get("getaccountresource", 0)


def env(
    tg: FakeTelegramServer, node: TronNodeSimulator, database: Path, **extra: Any
) -> dict[str, str]:
    return bot_env(
        telegram_url=tg.base_url,
        database=database,
        tron_node_url=node.base_url,
        WATCH_INTERVAL_SECONDS=str(WATCH_INTERVAL),
        **extra,
    )


def quiet(node: TronNodeSimulator) -> None:
    """Wait while the bot keeps checking (the node is read again meanwhile)."""
    before = resource_reads(node)
    time.sleep(QUIET_PERIOD)
    assert resource_reads(node) >= before + 3, "the watch job stopped checking"


def test_a_watch_alerts_once_not_repeatedly_and_recovers_once(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    node: TronNodeSimulator,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    launcher.start(env(tg, node, database, tronsave_url=tronsave.base_url))
    assert "Watching" in (alice.reply_to(f"/watch {ADDR} 65000").text or "")
    quiet(node)
    assert alice.count("Low energy") == 0  # 100,000 available

    node.set_account(ADDR, energy_used=60_000)
    low = alice.wait_for("Low energy", after=alice.last_id())
    assert "40,000" in (low.text or "")
    quiet(node)
    assert alice.count("Low energy") == 1

    node.set_account(ADDR, energy_used=0)
    alice.wait_for("Energy back", after=low.message_id)
    quiet(node)
    assert alice.count("Energy back") == 1
    assert alice.count("Low energy") == 1
    listing = alice.reply_to("/watches").text or ""
    assert ADDR in listing
    assert "enough" in listing


def test_auto_rent_places_one_order_within_budget_and_stops_at_the_budget(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    node: TronNodeSimulator,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    launcher.start(env(tg, node, database, tronsave_url=tronsave.base_url))
    alice.reply_to(f"/watch {ADDR} 65000")
    # 65,000 energy at up to 70 SUN: 4.55 TRX an order; 5 TRX a day leaves room for one.
    setup = alice.reply_to(f"/autorent {ADDR} 65000 1h 70 5 3")
    assert "Auto-rent on" in (setup.text or "")
    assert any("Stop auto-rent" in label for label in labels(setup))

    node.set_account(ADDR, energy_used=60_000)
    placed = alice.wait_for("Ordered 65,000 energy", after=setup.message_id)
    assert any("Stop auto-rent" in label for label in labels(placed))
    [order] = sim_orders(tronsave)
    assert order["receiver"] == ADDR
    quiet(node)
    assert len(sim_orders(tronsave)) == 1  # still low, but its order is open

    # The user cancels that order (refunded); still low: the day's budget is spent.
    listing = alice.reply_to("/orders")
    alice.press_and_wait(listing, "Cancel #", "Cancelled")
    stopped = alice.wait_for("Auto-rent stopped", after=listing.message_id)
    assert "budget of 5 TRX is spent" in (stopped.text or "")
    assert any("Stop auto-rent" in label for label in labels(stopped))
    quiet(node)
    assert len(sim_orders(tronsave)) == 1
    assert alice.count("Auto-rent stopped") == 1

    alice.press_and_wait(stopped, "Stop auto-rent", "Auto-rent off")
    assert "auto-rent off" in (alice.reply_to("/watches").text or "")
