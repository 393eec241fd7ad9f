"""Feee.io beside TronSave: both quotes, choosing, delivery push, the 5-minute cancel rule."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from bot.domain import OrderState
from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.integration.harness import (
    FEEE_KEY,
    TS_KEY,
    Bot,
    make_settings,
    running_bot,
)
from tests.support.fake_bot_api import buttons
from tests.support.simulators import sim_orders
from tests.support.storage import stored_order

A1 = address_from_bytes(b"\x33" * 20)
A2 = address_from_bytes(b"\x44" * 20)


async def state_of(bot: Bot, order_id: int) -> OrderState:
    order = await stored_order(bot.rt.repo, order_id)
    assert order is not None
    return order.state


@pytest.fixture
def tronsave() -> Iterator[TronSaveSimulator]:
    sim = TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def feee() -> Iterator[FeeeSimulator]:
    # 65,000 × 40 SUN + 0.56 TRX fee = 3.16 TRX per receiver: cheaper than TronSave's 3.9.
    sim = FeeeSimulator(api_key=FEEE_KEY, qps=1000, price_v2=40)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
async def bot(
    tmp_path: Path, tronsave: TronSaveSimulator, feee: FeeeSimulator
) -> AsyncIterator[Bot]:
    settings = make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=tronsave.base_url,
        feee_api_key=FEEE_KEY,
        feee_base_url=feee.base_url + "/open",
    )
    async with running_bot(settings) as running:
        yield running


async def test_summary_shows_both_quotes_and_preselects_the_cheaper(bot: Bot) -> None:
    await bot.command(f"/new 65000 1h 70 {A1} {A2}")
    summary = bot.last()
    text = summary.text or ""
    assert "<b>TronSave</b>: 60 SUN/unit, total <b>7.8 TRX</b>" in text
    assert "<b>Feee.io</b>: 49 SUN/unit, total <b>6.32 TRX</b>" in text  # fee included
    labels = [b["text"] for b in buttons(summary)]
    assert "● Feee.io · 6.32 TRX" in labels
    assert "TronSave · 7.8 TRX" in labels
    assert "✅ Confirm with Feee.io" in labels


async def test_choosing_tronsave_switches_the_confirm_button(
    bot: Bot, tronsave: TronSaveSimulator
) -> None:
    await bot.command(f"/new 65000 1h 70 {A1}")
    await bot.press(bot.last(), "TronSave ·")
    summary = bot.last()
    assert "✅ Confirm with TronSave" in [b["text"] for b in buttons(summary)]
    await bot.press(summary, "Confirm")
    assert "Submitted to TronSave" in (bot.last().text or "")
    assert len(sim_orders(tronsave)) == 1


async def test_feee_order_delivery_push_names_receiver_amount_and_tx(
    bot: Bot, feee: FeeeSimulator
) -> None:
    await bot.command(f"/new 65000 1h 70 {A1} {A2}")
    await bot.press(bot.last(), "Confirm with Feee.io")
    assert "Submitted to Feee.io: 2 order(s)" in (bot.last().text or "")
    orders = await bot.rt.repo.orders_of_submission(1)
    assert [o.receiver for o in orders] == [A1, A2]  # one Feee order per receiver
    feee.deliver(orders[0].provider_order_id)
    await bot.poll()
    push = bot.last()
    text = push.text or ""
    assert "Energy delivered" in text
    tx = feee.order(orders[0].provider_order_id)["frozen_tx_id"]  # type: ignore[index]
    assert f"tx <code>{tx}</code>" in text
    assert "65,000 energy to" in text
    assert buttons(push) == []  # Feee has no early confirmation
    stored = await stored_order(bot.rt.repo, orders[0].id)
    assert stored is not None
    assert stored.state is OrderState.MATCHED
    assert stored.delegate_txid == tx


async def test_cancel_appears_only_after_five_minutes(bot: Bot, feee: FeeeSimulator) -> None:
    await bot.command(f"/new 65000 1h 70 {A1}")
    await bot.press(bot.last(), "Confirm with Feee.io")
    await bot.command("/orders")
    assert not any("Cancel" in b["text"] for b in buttons(bot.last()))
    feee.advance_clock(301)
    await bot.poll()  # learns the order's age on Feee's clock
    await bot.command("/orders")
    listing = bot.last()
    await bot.press(listing, "Cancel #1")
    assert "Cancelled and refunded" in (bot.last().text or "")
    order = await stored_order(bot.rt.repo, 1)
    assert order is not None
    assert order.state is OrderState.CANCELLED
    assert feee.order(order.provider_order_id)["status"] == 12  # type: ignore[index]


async def test_price_rising_above_the_max_refuses_before_ordering(
    bot: Bot, feee: FeeeSimulator
) -> None:
    await bot.command(f"/new 65000 1h 50 {A1}")
    summary = bot.last()
    feee.configure(price_v2=55)
    await bot.press(summary, "Confirm with Feee.io")
    assert "price rose above your max price" in (bot.last().text or "")
    assert sim_orders(feee) == []


async def test_a_duration_feee_cannot_serve_is_explained(bot: Bot) -> None:
    await bot.command(f"/new 65000 1000 70 {A1}")
    text = bot.last().text or ""
    assert "Feee.io can't rent for this duration" in text
    assert "✅ Confirm with TronSave" in [b["text"] for b in buttons(bot.last())]


async def test_feee_refusal_codes_get_their_own_message(bot: Bot, feee: FeeeSimulator) -> None:
    feee.configure(not_activated=[A1])
    await bot.command(f"/new 65000 1h 70 {A1}")
    await bot.press(bot.last(), "Confirm with Feee.io")
    assert "not activated on TRON yet" in (bot.last().text or "")


async def test_balance_shows_both_providers(bot: Bot) -> None:
    await bot.command("/balance")
    text = bot.messages()[0].text or ""  # the deposit QR codes follow it
    assert "<b>TronSave</b>: 1000 TRX" in text
    assert "<b>Feee.io</b>: 1000 TRX" in text
    assert text.count("Deposit address") == 2


async def test_feee_durations_are_offered_as_buttons(bot: Bot) -> None:
    await bot.command("/new")
    await bot.say("65000")
    labels = [b["text"] for b in buttons(bot.last())]
    for label in ("5 min", "10 min", "1 h", "3 h", "1 d", "30 d"):
        assert label in labels
    await bot.press(bot.last(), "10 min")
    assert "max price" in (bot.last().text or "")


async def test_a_split_order_is_delivered_only_when_every_part_is(
    bot: Bot, feee: FeeeSimulator
) -> None:
    await bot.command(f"/new 65000 1h 70 {A1}")
    await bot.press(bot.last(), "Confirm with Feee.io")
    order = await stored_order(bot.rt.repo, 1)
    assert order is not None
    parts = feee.split(order.provider_order_id, [40_000, 25_000])
    children = [str(c["order_no"]) for c in cast(list[dict[str, Any]], parts["sub_order"])]
    feee.deliver(children[0])
    await bot.poll()
    assert await state_of(bot, 1) is OrderState.PENDING
    feee.deliver(children[1])
    await bot.poll()
    assert await state_of(bot, 1) is OrderState.MATCHED
    assert "Energy delivered" in (bot.last().text or "")


async def test_cancel_reply_shows_the_refund(bot: Bot, feee: FeeeSimulator) -> None:
    await bot.command(f"/new 65000 1h 70 {A1}")
    await bot.press(bot.last(), "Confirm with Feee.io")
    feee.advance_clock(301)
    await bot.poll()
    await bot.command("/orders")
    await bot.press(bot.last(), "Cancel #1")
    assert "Refunded: 3.16 TRX" in (bot.last().text or "")
