"""After the match through `python -m bot`: the TronSave and TRON node simulators linked
(a match delegates energy on the node), the fake Bot API over HTTP. A transfer from the
receiver after the match is confirmed by itself, with one confirmation call and the
refund pushed; a rental covering a second transfer is kept after the first."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.sandbox.delegation_link import link_delegations
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from testkit.launcher import BotProcess
from tests.e2e.process import (
    POLL_INTERVAL,
    BotLauncher,
    TelegramUser,
    bot_env,
    labels,
    query_db,
    wait_until,
)
from tests.support.simulators import sim_counts
from tests.support.telegram_server import FakeTelegramServer

pytestmark = pytest.mark.e2e

A1 = address_from_bytes(b"\x51" * 20)
PAYEE = address_from_bytes(b"\x59" * 20)
USDT = 1_000_000
AFTER_MATCH_INTERVAL = 0.5
AUTO = "Confirmed automatically"
_CYCLE = re.compile(r"after-match cycle done checked=(\d+)")


@pytest.fixture
def node(tronsave: TronSaveSimulator) -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0) as simulator:
        link_delegations(tronsave, simulator)
        simulator.set_account(PAYEE, usdt=1)  # a USDT holder: 64,285 energy a transfer
        yield simulator


def _start(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    node: TronNodeSimulator,
    database: Path,
) -> BotProcess:
    return launcher.start(
        bot_env(
            telegram_url=tg.base_url,
            database=database,
            tronsave_url=tronsave.base_url,
            tron_node_url=node.base_url,
            AUTO_CONFIRM_INTERVAL_SECONDS=str(AFTER_MATCH_INTERVAL),
        )
    )


def _checked_cycles(bot: BotProcess) -> int:
    """After-match cycles that looked at an order on the chain."""
    return sum(int(n) > 0 for n in _CYCLE.findall(bot.log()))


def _rent(alice: TelegramUser, tronsave: TronSaveSimulator, amount: int) -> int:
    summary = alice.wait_for("Order summary", after=alice.send(f"/new {amount} 1h 70 {A1}"))
    assert any("Confirm by itself after use: on" in label for label in labels(summary))
    submitted = alice.press_and_wait(summary, "Confirm", "Submitted to TronSave")
    assert len(tronsave.match()) == 1
    push = alice.wait_for("Energy delivered", after=submitted.message_id)
    assert any("Confirm now for a refund" in label for label in labels(push))  # it stays
    return push.message_id


def test_a_transfer_after_the_match_is_confirmed_once_with_the_refund(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    node: TronNodeSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = _start(launcher, tg, tronsave, node, database)
    pushed = _rent(alice, tronsave, 65_000)
    # Delegated, nothing sent yet: cycles look at it and leave it.
    seen = _checked_cycles(bot)
    wait_until(lambda: _checked_cycles(bot) >= seen + 2, timeout=10, what="two cycles")
    assert sim_counts(tronsave).get("confirm", 0) == 0

    spent = node.transfer_usdt(A1, PAYEE, 5 * USDT)
    assert spent["energy_burned"] == 0  # paid by the rented energy
    done = alice.wait_for(AUTO, after=pushed, timeout=15)
    text = done.text or ""
    assert "Refunded:" in text
    assert "Net cost:" in text
    assert "Saved: <b>" in text  # the saving made, as after the button
    assert sim_counts(tronsave)["confirm"] == 1
    states = query_db(database, "SELECT state, refund_sun FROM orders")
    assert states[0][0] == "confirmed"
    assert states[0][1] is not None
    assert states[0][1] > 0

    # Quiet afterwards: no second call, no second push.
    time.sleep(4 * max(POLL_INTERVAL, AFTER_MATCH_INTERVAL))
    assert sim_counts(tronsave)["confirm"] == 1
    assert alice.count(AUTO) == 1
    assert bot.terminate() == 0


def test_a_rental_for_two_transfers_is_kept_after_the_first(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    node: TronNodeSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = _start(launcher, tg, tronsave, node, database)
    pushed = _rent(alice, tronsave, 130_000)
    node.transfer_usdt(A1, PAYEE, USDT)
    seen = _checked_cycles(bot)
    wait_until(lambda: _checked_cycles(bot) >= seen + 3, timeout=10, what="three cycles")
    assert sim_counts(tronsave).get("confirm", 0) == 0
    assert alice.count(AUTO) == 0
    assert query_db(database, "SELECT state FROM orders") == [("matched",)]

    second = node.transfer_usdt(A1, PAYEE, USDT)
    assert second["energy_burned"] == 0  # the rental still covered it
    alice.wait_for(AUTO, after=pushed, timeout=15)
    assert sim_counts(tronsave)["confirm"] == 1
    assert bot.terminate() == 0


def test_the_sandbox_shows_the_whole_loop(
    launcher: BotLauncher, tg: FakeTelegramServer, alice: TelegramUser, database: Path
) -> None:
    """SANDBOX=true: the simulated TronSave match delegates on the simulated node; a
    transfer sent through the node's control API is confirmed by itself."""
    bot = launcher.start(
        bot_env(
            telegram_url=tg.base_url,
            database=database,
            SANDBOX="true",
            TRONSAVE_MIN_INTERVAL_SECONDS="0.2",
            AUTO_CONFIRM_INTERVAL_SECONDS=str(AFTER_MATCH_INTERVAL),
        )
    )
    found = re.search(r"TRON node simulator at (http://127\.0\.0\.1:\d+)", bot.log())
    assert found is not None, bot.log()
    summary = alice.wait_for("Order summary", after=alice.send(f"/new 65000 1h 200 {A1}"))
    submitted = alice.press_and_wait(summary, "Confirm with TronSave", "Submitted to TronSave")
    push = alice.wait_for("Energy delivered", after=submitted.message_id, timeout=15)
    with httpx.Client(base_url=found[1]) as node:
        node.post("/_sim/accounts", json={"address": PAYEE, "usdt": 1}).raise_for_status()
        sent = node.post("/_sim/usdt/transfer", json={"from": A1, "to": PAYEE, "amount": USDT})
        sent.raise_for_status()
        assert sent.json()["energy_burned"] == 0
    done = alice.wait_for(AUTO, after=push.message_id, timeout=15)
    assert "Refunded:" in (done.text or "")
    sandbox_db = database.with_name("sandbox.sqlite3")
    assert query_db(sandbox_db, "SELECT state FROM orders") == [("confirmed",)]
    assert bot.terminate() == 0
