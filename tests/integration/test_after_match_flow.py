"""After the match, through a real PTB Application with the TronSave and TRON node
simulators linked (a match delegates energy on the node): /settings, the summary's
switch, the automatic confirmation's push and the rental-ending notice's Rent again."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.domain import OrderState
from bot.sandbox.delegation_link import link_delegations
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.storage.repository import OrderChanges
from bot.tron_address import address_from_bytes
from tests.integration.harness import ALICE, BOB, TS_KEY, Bot, make_settings, running_bot
from tests.integration.linked import after_match, completed_summary, linked_settings
from tests.integration.linked import order_and_match as matched
from tests.support.fake_bot_api import SentMessage, buttons, find_button
from tests.support.simulators import sim_counts, sim_orders
from tests.support.storage import stored_order
from tests.support.updates import ptb_callback_update

A1 = address_from_bytes(b"\x31" * 20)
A2 = address_from_bytes(b"\x32" * 20)
PAYEE = address_from_bytes(b"\x39" * 20)
USDT = 1_000_000  # one USDT in 10⁻⁶


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60) as simulator:
        yield simulator


@pytest.fixture
def node(sim: TronSaveSimulator) -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0) as simulator:
        link_delegations(sim, simulator)
        simulator.set_account(PAYEE, usdt=1)  # a holder: 64,285 energy a transfer
        yield simulator


@pytest.fixture
async def bot(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> AsyncIterator[Bot]:
    async with running_bot(linked_settings(tmp_path, sim, node)) as running:
        yield running


async def press_as_telegram_does(bot: Bot, message: SentMessage, label: str) -> None:
    """A press whose update carries the message's keyboard, as Telegram's does."""
    await bot.app.process_update(
        ptb_callback_update(
            bot.app.bot,
            find_button(message, label),
            user_id=ALICE,
            chat_id=message.chat_id,
            message_id=message.message_id,
            message_text=message.text or "",
            reply_markup=message.reply_markup,
        )
    )


async def near_its_end(bot: Bot, *, seconds: float) -> None:
    """The running rentals as if they had `seconds` left (time passing, in short)."""
    for order in await bot.rt.repo.orders_by_ids(list(range(1, 10))):
        if order.state is OrderState.MATCHED:
            changes = OrderChanges(ends_at=time.time() + seconds)
            await bot.rt.repo.update_order_details(order.id, changes)


def labels(message: SentMessage) -> list[str]:
    return [str(b.get("text", "")) for b in buttons(message)]


async def order_and_match(
    bot: Bot, sim: TronSaveSimulator, *receivers: str, amount: int = 65_000
) -> SentMessage:
    return await matched(bot, sim, f"/new {amount} 1h 70 {' '.join(receivers)}")


async def test_a_transfer_after_the_match_confirms_by_itself_with_the_refund(
    bot: Bot, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    await order_and_match(bot, sim, A1)
    (order,) = await bot.rt.repo.orders_of_submission(1)
    await after_match(bot)  # delegated, nothing sent yet: kept
    assert sim_counts(sim).get("confirm", 0) == 0
    spent = node.transfer_usdt(A1, PAYEE, 5 * USDT)
    assert spent["energy_burned"] == 0  # the rented energy paid for it
    await after_match(bot)
    assert sim_counts(sim)["confirm"] == 1
    push = bot.last()
    text = push.text or ""
    assert "Confirmed automatically" in text
    assert f"#{order.id}" in text
    assert "Refunded:" in text
    assert "Net cost:" in text
    # The saving made, as the button's reply shows it: 64,285 energy at 100 SUN burnt.
    assert "Saved: <b>" in text
    assert "the 64,285 energy used (at 100 SUN)" in text
    assert not any("Confirm now" in label for label in labels(push))
    stored = await stored_order(bot.rt.repo, order.id)
    assert stored is not None
    assert stored.state is OrderState.CONFIRMED
    await after_match(bot)
    assert sim_counts(sim)["confirm"] == 1
    assert sum("Confirmed automatically" in t for t in bot.texts()) == 1


async def test_a_rental_for_two_transfers_is_kept_after_the_first(
    bot: Bot, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    await order_and_match(bot, sim, A1, amount=130_000)
    node.transfer_usdt(A1, PAYEE, USDT)
    await after_match(bot)
    assert sim_counts(sim).get("confirm", 0) == 0
    node.transfer_usdt(A1, PAYEE, USDT)
    await after_match(bot)
    assert sim_counts(sim)["confirm"] == 1
    assert "Confirmed automatically" in (bot.last().text or "")


async def test_settings_switch_it_off_and_on_per_user(
    bot: Bot, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    await bot.command("/settings")
    shown = bot.last()
    assert "Automatic confirmation: <b>on</b>" in (shown.text or "")
    await bot.press(shown, "Automatic confirmation: on")
    edited = bot.last()
    assert any("Automatic confirmation: off" in label for label in labels(edited))
    assert bot.rt.user_settings is not None
    assert await bot.rt.user_settings.auto_confirm(ALICE) is False

    await order_and_match(bot, sim, A1)
    node.transfer_usdt(A1, PAYEE, USDT)
    await after_match(bot)
    assert sim_counts(sim).get("confirm", 0) == 0  # off: the button is the user's

    await bot.command("/settings")
    await bot.press(bot.last(), "Automatic confirmation: off")
    assert await bot.rt.user_settings.auto_confirm(ALICE) is True

    # Per user, and in the user's language.
    await bot.command("/settings", user=BOB, lang="zh")
    assert "自动确认：<b>开启</b>" in (bot.last(BOB).text or "")
    await bot.press(bot.last(BOB), "自动确认：开启", user=BOB, lang="zh")
    assert any("自动确认：关闭" in label for label in labels(bot.last(BOB)))
    assert await bot.rt.user_settings.auto_confirm(BOB) is False
    assert await bot.rt.user_settings.auto_confirm(ALICE) is True


async def test_the_summary_switch_turns_it_off_for_that_order_only(
    bot: Bot, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    await bot.command(f"/new 65000 1h 70 {A1}")
    summary = bot.last()
    assert any("Confirm by itself after use: on" in label for label in labels(summary))
    await press_as_telegram_does(bot, summary, "Confirm by itself after use")
    switched = bot.api.messages(ALICE)[-1]
    assert any("Confirm by itself after use: off" in label for label in labels(switched))
    # The switch of an older summary changes nothing: the live one's label stays true.
    await bot.command(f"/new 65000 1h 70 {A2}")
    await press_as_telegram_does(bot, switched, "Confirm by itself after use")
    assert "form is closed" in str(bot.api.calls_of("answerCallbackQuery")[-1].get("text"))
    live = bot.last()
    assert any("Confirm by itself after use: on" in label for label in labels(live))
    await bot.command(f"/new 65000 1h 70 {A1}")
    summary = bot.last()
    await press_as_telegram_does(bot, summary, "Confirm by itself after use")
    switched = bot.api.messages(ALICE)[-1]
    assert any("Confirm by itself after use: off" in label for label in labels(switched))
    await bot.press(switched, "Confirm with")  # the summary's Confirm is still valid
    assert "Submitted to TronSave" in (bot.last().text or "")
    assert await bot.rt.repo.submission_auto_confirm(1) is False
    sim.match()
    await bot.poll()
    node.transfer_usdt(A1, PAYEE, USDT)
    await after_match(bot)
    assert sim_counts(sim).get("confirm", 0) == 0

    # The next order follows the user's setting (on) again.
    await order_and_match(bot, sim, A2)
    node.transfer_usdt(A2, PAYEE, USDT)
    await after_match(bot)
    assert sim_counts(sim)["confirm"] == 1


async def test_without_chain_reads_there_is_no_switch_and_nothing_is_confirmed(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    settings = make_settings(tmp_path, tronsave_api_key=TS_KEY, tronsave_base_url=sim.base_url)
    async with running_bot(settings) as bot:
        await bot.command(f"/new 65000 1h 70 {A1}")
        assert not any("Confirm by itself" in label for label in labels(bot.last()))
        await bot.press(bot.last(), "Confirm with")
        sim.match()
        await bot.poll()
        push = bot.last()
        node.transfer_usdt(A1, PAYEE, USDT)
        await after_match(bot)
        assert sim_counts(sim).get("confirm", 0) == 0
        assert any("Confirm now for a refund" in label for label in labels(push))
        await bot.command("/settings")
        assert "does not read the TRON chain" in (bot.last().text or "")


async def test_an_ending_rental_is_told_once_and_rent_again_opens_the_summary(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    settings = linked_settings(tmp_path, sim, node, rental_ending_notice_seconds=600)
    async with running_bot(settings) as bot:
        await order_and_match(bot, sim, A1, A2)
        await after_match(bot)  # an hour to go: not yet
        assert not any("Rental ending soon" in t for t in bot.texts())
        await near_its_end(bot, seconds=500)
        await after_match(bot)
        notice = bot.last()
        text = notice.text or ""
        assert "Rental ending soon" in text
        assert "Ends at" in text
        found = labels(notice)
        assert any("Rent again" in label for label in found), found
        assert any("Confirm now for a refund" in label for label in found), found
        await after_match(bot)
        assert sum("Rental ending soon" in t for t in bot.texts()) == 1

        await bot.press(notice, "Rent again")
        summary = bot.last()
        body = summary.text or ""
        assert "Order summary" in body
        assert "65,000 × 2 address(es)" in body
        assert A1 in body
        assert A2 in body
        assert "Duration: 1 h" in body
        assert "Max price: 70 SUN/unit" in body
        await bot.press(summary, "Confirm with")
        assert "Submitted to TronSave: 2 order(s)" in (bot.last().text or "")
        again = [o for o in sim_orders(sim) if o["status"] == "Pending"]
        assert {o["receiver"] for o in again} == {A1, A2}


async def test_rent_again_sizes_for_the_payee_the_old_order_was_sized_for(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    settings = linked_settings(tmp_path, sim, node, rental_ending_notice_seconds=600)
    async with running_bot(settings) as bot:
        await bot.command(f"/new 65000 1h 70 {A1} to {PAYEE}")
        await bot.press(bot.last(), "Confirm with")
        sim.match()
        await bot.poll()
        first = await bot.rt.repo.get_submission(1)
        assert first is not None
        assert first.payee == PAYEE
        await near_its_end(bot, seconds=500)
        await after_match(bot)
        await bot.press(bot.last(), "Rent again")
        summary = bot.last().text or ""
        assert "Order summary" in summary
        assert PAYEE[:6] in summary.split("On chain", 1)[-1]
        await bot.press(bot.last(), "Confirm with")
        again = await bot.rt.repo.get_submission(2)
        assert again is not None
        assert (again.payee, again.transfer_energy) == (first.payee, first.transfer_energy)


async def test_rent_again_in_another_chat_is_refused(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    settings = linked_settings(tmp_path, sim, node, rental_ending_notice_seconds=600)
    async with running_bot(settings) as bot:
        await order_and_match(bot, sim, A1)
        await near_its_end(bot, seconds=500)
        await after_match(bot)
        notice = bot.last()
        await bot.press(notice, "Rent again", chat=-100777)
        assert not any("Order summary" in t for t in bot.texts(-100777))
        answers = bot.api.calls_of("answerCallbackQuery")
        assert "not valid here" in str(answers[-1].get("text"))


async def test_a_summary_completed_in_place_carries_the_switch(
    tmp_path: Path, sim: TronSaveSimulator, node: TronNodeSimulator
) -> None:
    sim.add_fault("estimate", "delay", seconds=1.5, count=1)
    async with running_bot(linked_settings(tmp_path, sim, node)) as bot:
        await bot.app.start()  # the summary completes itself in a task of the application
        try:
            await bot.command(f"/new 65000 1h 70 {A1}")
            assert not any("Confirm by itself" in label for label in labels(bot.last()))
            done = await completed_summary(bot)
            assert any("Confirm by itself after use: on" in label for label in labels(done))
            await press_as_telegram_does(bot, done, "Confirm by itself after use")
            off = bot.last()
            assert any("Confirm by itself after use: off" in label for label in labels(off))
        finally:
            await bot.app.stop()
