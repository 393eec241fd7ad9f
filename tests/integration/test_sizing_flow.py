"""Sizing an order on the chain through a real PTB Application: the payee step, the
summary's chain block (need, flags, suggested amount, savings), an unreachable node, and
the saving shown after a Confirm. TronSave and the TRON node are simulators."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.money import format_trx
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.telegram.long_text import utf16_len
from bot.tron_address import address_from_bytes
from tests.integration.harness import TS_KEY, Bot, make_settings, running_bot
from tests.support.fake_bot_api import buttons
from tests.support.simulators import sim_orders

A1 = address_from_bytes(b"\x11" * 20)
A2 = address_from_bytes(b"\x22" * 20)
HOLDER = address_from_bytes(b"\x33" * 20)  # a payee that holds USDT
EMPTY = address_from_bytes(b"\x44" * 20)  # a payee that holds none
USDT = 1_000_000  # 1 USDT in 10⁻⁶


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60) as simulator:
        yield simulator


@pytest.fixture
def node() -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator() as simulator:
        simulator.set_account(A1, usdt=50 * USDT, trx_sun=100_000_000)
        simulator.set_account(HOLDER, usdt=5 * USDT)
        simulator.set_account(EMPTY)
        yield simulator


def chain_settings(tmp_path: Path, sim: TronSaveSimulator, node_url: str) -> dict[str, object]:
    return {
        "tronsave_api_key": TS_KEY,
        "tronsave_base_url": sim.base_url,
        "tron_chain_reads": True,
        "tron_node_url": node_url,
        "tron_requests_per_second": 1000,
        "tron_timeout_seconds": 2,
    }


@pytest.fixture
async def bot(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> AsyncIterator[Bot]:
    settings = make_settings(tmp_path, **chain_settings(tmp_path, sim, node.base_url))
    async with running_bot(settings) as running:
        yield running


async def to_payee_step(bot: Bot, receivers: str = A1, amount: str = "65000") -> None:
    await bot.command("/new")
    await bot.say(amount)
    await bot.say("15m")
    await bot.say("70")
    await bot.say(receivers)


def labels(bot: Bot) -> list[str]:
    return [str(b.get("text", "")) for b in buttons(bot.last())]


async def test_the_payee_given_sizes_the_transfer_by_simulating_it(bot: Bot) -> None:
    await to_payee_step(bot)
    question = bot.last()
    assert "Who receives the USDT" in (question.text or "")
    assert any("Skip" in label for label in labels(bot))
    await bot.say(HOLDER)
    text = bot.last().text or ""
    assert "Order summary" in text
    assert "64,285</b> energy (simulated on chain)" in text
    assert "needs 64,285 for 1 transfer(s); covers 1" in text
    # Burning 64,285 energy at the live 100 SUN vs TronSave's 65,000 x 60 SUN.
    assert "Burning TRX instead: 6.4285 TRX (64,285 energy at 100 SUN)" in text
    assert "renting: 3.9 TRX" in text
    assert "you save <b>2.5285 TRX</b> (39%)" in text
    # 64,285 is under TronSave's minimum of 65,000, the amount asked: nothing to suggest.
    assert not any("Use " in label for label in labels(bot))
    assert "Confirm" in " ".join(labels(bot))


async def test_the_burn_price_is_read_from_the_chain(bot: Bot, node: TronNodeSimulator) -> None:
    node.configure(energy_fee=210)
    await to_payee_step(bot)
    await bot.say(HOLDER)
    assert "13.49985 TRX (64,285 energy at 210 SUN)" in (bot.last().text or "")


async def test_skip_is_one_tap_and_assumes_a_holder(bot: Bot) -> None:
    await to_payee_step(bot)
    await bot.press(bot.last(), "Skip")
    text = bot.last().text or ""
    assert "Order summary" in text
    assert "No payee given: about <b>64,285</b> energy per transfer" in text
    await bot.press(bot.last(), "Confirm")
    assert "Submitted to TronSave: 1 order(s)" in (bot.last().text or "")


async def test_a_bad_payee_is_explained_and_asked_again(bot: Bot, sim: TronSaveSimulator) -> None:
    await to_payee_step(bot)
    for bad, expected in [
        ("TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456", "is not a valid TRON address"),
        (f"{HOLDER} {EMPTY}", "one payee address (you sent 2)"),
    ]:
        await bot.say(bad)
        assert expected in (bot.last().text or "")
        assert "Who receives the USDT" in (bot.last().text or "")
    assert "Order summary" not in "\n".join(bot.texts())
    await bot.say(EMPTY)
    assert "130,285</b> energy (simulated on chain)" in (bot.last().text or "")
    assert sim_orders(sim) == []


async def test_the_suggested_amount_button_updates_the_draft(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await to_payee_step(bot)
    await bot.say(EMPTY)  # a payee without USDT: 130,285 per transfer
    summary = bot.last()
    text = summary.text or ""
    assert "65,000 more does not cover one transfer (130,285): it needs 130,285" in text
    assert "Suggested amount: <b>130,285</b> energy per address" in text
    await bot.press(summary, "Use 130,285 energy")
    fresh = bot.last()
    assert "Energy: 130,285 × 1 address(es)" in (fresh.text or "")
    assert "covers 1" in (fresh.text or "")
    assert not any("Use " in str(b.get("text")) for b in buttons(fresh))
    # The old summary's Confirm showed 65,000: it submits nothing now.
    await bot.press(summary, "Confirm")
    assert sim_orders(sim) == []
    await bot.press(fresh, "Confirm")
    assert [o["amount"] for o in sim_orders(sim)] == [130_285]


async def test_an_inactive_receiver_is_warned_about(bot: Bot) -> None:
    await to_payee_step(bot, receivers=f"{A1} {A2}")
    await bot.press(bot.last(), "Skip")
    text = bot.last().text or ""
    assert f"{A2[:6]}…{A2[-4:]}: not activated: a delegation to it may fail" in text
    assert "Confirm" in " ".join(labels(bot))


async def test_energy_on_hand_is_subtracted_and_none_needed_is_said(
    bot: Bot, node: TronNodeSimulator
) -> None:
    node.set_account(A1, energy_limit=70_000)
    await to_payee_step(bot)
    await bot.say(HOLDER)
    text = bot.last().text or ""
    assert "has 70,000 energy, enough for a transfer: it needs no rental" in text
    assert "No receiver needs a rental for one transfer." in text


async def test_the_one_line_form_takes_the_payee(bot: Bot) -> None:
    await bot.command(f"/new 65000 15m 70 {A1} to {EMPTY}")
    assert "130,285</b> energy (simulated on chain)" in (bot.last().text or "")
    await bot.command(f"/new 65000 15m 70 {A1} to nonsense")
    assert "is not a valid TRON address" in (bot.last().text or "")


async def test_an_unreachable_node_leaves_the_order_working(
    tmp_path: Path, sim: TronSaveSimulator
) -> None:
    closed = TronNodeSimulator()
    closed.start()
    url = closed.base_url
    closed.stop()  # nothing listens there any more
    settings = make_settings(tmp_path, **chain_settings(tmp_path, sim, url))
    async with running_bot(settings) as bot:
        await to_payee_step(bot)
        await bot.say(HOLDER)
        text = bot.last().text or ""
        assert "The TRON node could not be reached" in text
        assert "60 SUN/unit" in text  # the quote as always
        await bot.press(bot.last(), "Confirm")
        assert "Submitted to TronSave: 1 order(s)" in (bot.last().text or "")


async def test_failing_node_calls_are_named_as_not_checked(
    bot: Bot, node: TronNodeSimulator
) -> None:
    node.add_fault("getchainparameters", "error500", count=None)
    await to_payee_step(bot)
    await bot.say(HOLDER)
    text = bot.last().text or ""
    assert "64,285</b> energy (simulated on chain)" in text
    assert "Not checked: the burn price." in text
    assert "Burning TRX instead" not in text


async def test_without_chain_reads_there_is_no_payee_step(
    tmp_path: Path, sim: TronSaveSimulator
) -> None:
    settings = make_settings(tmp_path, tronsave_api_key=TS_KEY, tronsave_base_url=sim.base_url)
    async with running_bot(settings) as bot:
        await to_payee_step(bot)
        text = bot.last().text or ""
        assert "Order summary" in text
        assert "Chain checks are off" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_summary_for_100_receivers_fits_telegram(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator, lang: str
) -> None:
    receivers = [address_from_bytes(i.to_bytes(20, "big")) for i in range(1, 101)]
    for address in receivers[::3]:
        node.set_account(address, energy_limit=10_000)
    settings = make_settings(tmp_path, **chain_settings(tmp_path, sim, node.base_url))
    async with running_bot(settings) as bot:
        await bot.command(f"/new 65000 15m 70 {' '.join(receivers)} to {HOLDER}", lang=lang)
        parts = [m.text or "" for m in bot.messages()]
        assert all(utf16_len(p) <= 4096 for p in parts)
        whole = "\n".join(parts)
        assert ("…and 92 more" if lang == "en" else "…另有 92 个") in whole
        assert buttons(bot.last())  # the buttons under the last part


async def test_after_confirm_the_saving_made_is_shown(
    bot: Bot, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    node.configure(recovery_seconds=0)  # no energy recovers while the test runs
    await to_payee_step(bot)
    await bot.say(HOLDER)
    await bot.press(bot.last(), "Confirm")
    sim.match()
    node.delegate_energy(A1, 65_000)  # what TronSave's delegation does on chain
    await bot.poll()
    push = bot.last()
    node.transfer_usdt(A1, HOLDER, USDT)  # the user's transfer uses 64,285 of it
    orders = await bot.rt.repo.orders_of_submission(1)
    await bot.press(push, f"Confirm now for a refund #{orders[0].id}")
    reply = bot.last().text or ""
    assert "Net cost:" in reply
    [order] = await bot.rt.repo.orders_by_ids([orders[0].id])
    assert order.charge_sun is not None
    assert order.refund_sun is not None
    net = order.charge_sun - order.refund_sun
    saving = 64_285 * 100 - net  # burning the energy used, less what renting cost net
    assert saving > 0
    assert f"Saved: <b>{format_trx(saving)} TRX</b>" in reply
    assert "against burning 6.4285 TRX for the 64,285 energy used (at 100 SUN)" in reply


async def test_a_forged_suggestion_is_refused_and_changes_nothing(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await to_payee_step(bot)
    await bot.say(EMPTY)
    summary = bot.last()
    for forged in ("w:size:5", "w:size:lots"):
        await bot.press_data(forged, summary)
        assert "energy units" in (bot.last().text or "")
    await bot.press(summary, "Confirm")  # the summary's Confirm still stands
    assert [o["amount"] for o in sim_orders(sim)] == [65_000]


async def test_a_slow_node_does_not_hold_the_summary_back(
    bot: Bot, node: TronNodeSimulator
) -> None:
    # Every account read takes 3 s (the client's timeout is 2 s, the summary's budget 1 s).
    node.add_fault("getaccountresource", "delay", seconds=3, count=None)
    await to_payee_step(bot)
    started = time.monotonic()
    await bot.say(HOLDER)
    assert time.monotonic() - started < 2.0
    text = bot.last().text or ""
    assert "Order summary" in text
    assert "64,285</b> energy (simulated on chain)" in text
    assert "not checked in time" in text
    assert "Not checked: activation, energy on hand." in text
    assert "Confirm" in " ".join(labels(bot))
