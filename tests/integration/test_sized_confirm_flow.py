"""Automatic confirmation of an order sized to its payee, through a real PTB Application
with the TronSave and TRON node simulators linked: the energy of one transfer to the
payee, kept with the submission, is what "covers another transfer" is measured by."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.chain.models import TRANSFER_ENERGY_TO_NON_HOLDER
from bot.sandbox.delegation_link import link_delegations
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.integration.harness import TS_KEY, Bot, running_bot
from tests.integration.linked import (
    after_match,
    completed_summary,
    linked_settings,
    order_and_match,
)
from tests.support.simulators import sim_counts

A1 = address_from_bytes(b"\x41" * 20)
FRESH = address_from_bytes(b"\x4a" * 20)  # holds no USDT: 130,285 energy a transfer
USDT = 1_000_000
AMOUNT = 200_000  # one transfer to FRESH leaves 69,715: more than a holder transfer


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60) as simulator:
        yield simulator


@pytest.fixture
def node(sim: TronSaveSimulator) -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0) as simulator:
        link_delegations(sim, simulator)
        simulator.set_account(A1, usdt=100 * USDT)
        yield simulator


@pytest.fixture
async def bot(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> AsyncIterator[Bot]:
    async with running_bot(linked_settings(tmp_path, sim, node)) as running:
        yield running


async def test_an_order_sized_to_a_non_holder_is_confirmed_after_its_transfer(
    bot: Bot, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    await order_and_match(bot, sim, f"/new {AMOUNT} 1h 70 {A1} to {FRESH}")
    submission = await bot.rt.repo.get_submission(1)
    assert submission is not None
    assert (submission.payee, submission.transfer_energy) == (FRESH, TRANSFER_ENERGY_TO_NON_HOLDER)
    spent = node.transfer_usdt(A1, FRESH, 5 * USDT)
    assert spent["energy_burned"] == 0
    # The payee is an exchange's deposit address, say, swept after each deposit: the
    # next transfer to it costs the non-holder figure again, which 69,715 cannot pay.
    node.set_account(FRESH, usdt=0)  # swept
    await after_match(bot)
    assert sim_counts(sim).get("confirm", 0) == 1
    assert "Confirmed automatically" in (bot.last().text or "")


async def test_a_payee_that_keeps_the_usdt_is_measured_as_a_holder(
    bot: Bot, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    await order_and_match(bot, sim, f"/new {AMOUNT} 1h 70 {A1} to {FRESH}")
    node.transfer_usdt(A1, FRESH, 5 * USDT)  # FRESH holds USDT now: 64,285 next time
    await after_match(bot)
    assert sim_counts(sim).get("confirm", 0) == 0


async def test_an_order_without_a_payee_still_waits_as_before(
    bot: Bot, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    await order_and_match(bot, sim, f"/new {AMOUNT} 1h 70 {A1}")
    submission = await bot.rt.repo.get_submission(1)
    assert submission is not None
    assert (submission.payee, submission.transfer_energy) == (None, None)
    node.transfer_usdt(A1, FRESH, 5 * USDT)
    node.set_account(FRESH, usdt=0)  # swept
    await after_match(bot)
    assert sim_counts(sim).get("confirm", 0) == 0


async def test_a_summary_completed_in_place_keeps_the_sized_transfer(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    sim.add_fault("estimate", "delay", seconds=1.5, count=1)
    async with running_bot(linked_settings(tmp_path, sim, node)) as bot:
        await bot.app.start()  # the summary completes itself in a task of the application
        try:
            await bot.command(f"/new {AMOUNT} 1h 70 {A1} to {FRESH}")
            await bot.press(await completed_summary(bot), "Confirm with")
            assert "Submitted to TronSave" in (bot.last().text or "")
            submission = await bot.rt.repo.get_submission(1)
        finally:
            await bot.app.stop()
    assert submission is not None
    assert (submission.payee, submission.transfer_energy) == (FRESH, TRANSFER_ENERGY_TO_NON_HOLDER)
