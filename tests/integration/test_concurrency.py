"""Updates reach a real, started PTB Application through its update queue, as they do
from Telegram: one chat's updates in order, one chat's slow order never holding up
another chat's conversation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from telegram import Update

from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.integration.harness import ALICE, BOB, TS_KEY, Bot, make_settings, running_bot
from tests.support.fake_bot_api import SentMessage, find_button
from tests.support.simulators import sim_orders
from tests.support.updates import ptb_callback_update, ptb_command_update, ptb_text_update

A1 = address_from_bytes(b"\x31" * 20)


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    simulator = TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
async def bot(tmp_path: Path, sim: TronSaveSimulator) -> AsyncIterator[Bot]:
    settings = make_settings(tmp_path, tronsave_api_key=TS_KEY, tronsave_base_url=sim.base_url)
    async with running_bot(settings) as running:
        await running.app.start()  # the update fetcher and the update processor
        try:
            yield running
        finally:
            await running.app.stop()


def _update(bot: Bot, text: str, user: int) -> Update:
    build = ptb_command_update if text.startswith("/") else ptb_text_update
    return build(bot.app.bot, text, user_id=user, chat_id=user)


async def arrive(bot: Bot, *texts: str, user: int = ALICE) -> None:
    """The user's messages arrive back to back, as one getUpdates batch would bring them."""
    for text in texts:
        await bot.app.update_queue.put(_update(bot, text, user))


async def press(bot: Bot, message: SentMessage, label: str, user: int = ALICE) -> None:
    data = find_button(message, label)
    await bot.app.update_queue.put(
        ptb_callback_update(
            bot.app.bot,
            data,
            user_id=user,
            chat_id=message.chat_id,
            message_id=message.message_id,
            message_text=message.text or "",
        )
    )


async def wait_for(
    bot: Bot, chat: int, contains: str, *, within: float = 10.0
) -> tuple[SentMessage, float]:
    """The first message to `chat` containing `contains`, and when it was seen."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in bot.messages(chat):
            if contains in (message.text or ""):
                return message, time.monotonic()
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {contains!r} in chat {chat}; got {bot.texts(chat)}")


def _has(bot: Bot, chat: int, contains: str) -> Callable[[], bool]:
    return lambda: any(contains in text for text in bot.texts(chat))


async def test_rapid_updates_of_one_chat_are_handled_in_order(bot: Bot) -> None:
    # Typed faster than the bot answers: each answer must reach the step it was meant for.
    await arrive(bot, "/new", "65000", "15m", "70", A1)
    summary, _ = await wait_for(bot, ALICE, "Order summary")
    await bot.app.update_queue.join()
    texts = bot.texts(ALICE)
    assert not any("Use /new" in t or "/help" in t for t in texts[:-1]), texts
    assert [t.split("\n", 1)[0] for t in texts][-1] == (summary.text or "").split("\n", 1)[0]
    assert "65,000 × 1 address(es)" in (summary.text or "")
    assert "15 min" in (summary.text or "")


async def test_a_slow_order_in_one_chat_does_not_stall_another_chat(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await arrive(bot, f"/new 65000 15m 70 {A1}")
    summary, _ = await wait_for(bot, ALICE, "Order summary")
    sim.add_fault("create", "delay", seconds=2.0)
    pressed_at = time.monotonic()
    await press(bot, summary, "Confirm")
    await asyncio.sleep(0.1)  # Alice's create is now waiting at the provider
    await arrive(bot, "/new", "65000", user=BOB)
    _, bob_answered_at = await wait_for(bot, BOB, "For how long")
    assert bob_answered_at - pressed_at < 1.5, "Bob waited for Alice's order"
    assert not _has(bot, ALICE, "Submitted to TronSave")()
    _, alice_done_at = await wait_for(bot, ALICE, "Submitted to TronSave")
    assert alice_done_at - pressed_at >= 2.0
    assert len(sim_orders(sim)) == 1
