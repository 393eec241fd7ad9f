"""Quotes shared across chats and creates in a visible line, on a real, started PTB
Application against the TronSave simulator at its real pace (one request per interval
per endpoint): many chats asking at once share one estimate, a slow quote is sent first
and edited in place, and Confirm presses wait in line in press order, told their place.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.telegram.render import trx
from bot.tron_address import address_from_bytes
from tests.integration.harness import TS_KEY, Bot, make_settings, running_bot
from tests.support.fake_bot_api import SentMessage, buttons, find_button, telegram_length
from tests.support.simulators import sim_counts, sim_orders
from tests.support.updates import ptb_callback_update, ptb_command_update, ptb_text_update

PACE = 1.0  # seconds per request per endpoint, simulator and bot alike
USERS = [5000 + i for i in range(20)]
FETCHING = "Getting the providers' prices"


def address(user: int) -> str:
    return address_from_bytes(user.to_bytes(20, "big"))


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    simulator = TronSaveSimulator(api_key=TS_KEY, rate_interval=PACE, unit_price=60, supply=5)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
async def bot(tmp_path: Path, sim: TronSaveSimulator) -> AsyncIterator[Bot]:
    settings = make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=sim.base_url,
        tronsave_min_interval_seconds=PACE,
        allowed_user_ids=frozenset(USERS),
    )
    async with running_bot(settings) as running:
        await running.app.start()
        try:
            yield running
        finally:
            await running.app.stop()


async def ask(bot: Bot, user: int, receivers: int = 1) -> None:
    addresses = " ".join(address(user * 100 + j) for j in range(receivers))
    text = f"/new 65000 15m 70 {addresses}"
    update = ptb_command_update(bot.app.bot, text, user_id=user, chat_id=user)
    await bot.app.update_queue.put(update)


async def press(bot: Bot, message: SentMessage, label: str) -> None:
    update = ptb_callback_update(
        bot.app.bot,
        find_button(message, label),
        user_id=message.chat_id,
        chat_id=message.chat_id,
        message_id=message.message_id,
        message_text=message.text or "",
    )
    await bot.app.update_queue.put(update)


def has_button(message: SentMessage, label: str) -> bool:
    return any(label in str(b.get("text")) for b in buttons(message))


async def until(check: Callable[[], bool], within: float, what: str) -> float:
    """Seconds it took for `check` to hold."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > within:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
    return time.monotonic() - start


def summary(bot: Bot, user: int) -> SentMessage | None:
    found = [m for m in bot.messages(user) if "Order summary" in (m.text or "")]
    return found[-1] if found else None


def confirmable(bot: Bot, user: int) -> bool:
    message = summary(bot, user)
    return message is not None and has_button(message, "Confirm")


async def wait_idle(sim: TronSaveSimulator) -> None:
    # Start-up's own requests (balance, tracking) leave the rate window first.
    await asyncio.sleep(PACE + 0.1)
    sim.clear_requests()


async def test_twenty_chats_asking_at_once_share_one_estimate(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await wait_idle(sim)
    for i, user in enumerate(USERS):
        await ask(bot, user, receivers=1 + i % 7)
    took = await until(lambda: all(confirmable(bot, u) for u in USERS), 20, "every Confirm")
    counts = sim_counts(sim)
    assert counts.get("estimate") == 1
    assert counts.get("user_info", 0) <= 1
    # Before, the n-th chat waited n estimate intervals: 20 s here.
    assert took < 10 * PACE
    for i, user in enumerate(USERS):
        text = summary(bot, user).text or ""  # type: ignore[union-attr]
        count = 1 + i % 7
        total = 60 * 65_000 * count
        assert f"total <b>{trx(total)} TRX</b>" in text, text
        # supply=5: up to five receivers can be matched now, more cannot.
        assert ("Can be matched now: yes" in text) == (count <= 5), text


async def test_a_slow_quote_is_sent_at_once_and_edited_in_place(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await wait_idle(sim)
    sim.add_fault("estimate", "delay", seconds=2.5)
    user = USERS[0]
    await ask(bot, user)
    first = await until(lambda: summary(bot, user) is not None, 5, "the summary")
    assert first < 1.8, "the summary waited for its slow quote"
    pending = summary(bot, user)
    assert pending is not None
    assert FETCHING in (pending.text or "")
    assert not has_button(pending, "Confirm")
    # Neither this chat nor another is held up by the slow quote meanwhile.
    asked_at = time.monotonic()
    await bot.app.update_queue.put(
        ptb_text_update(bot.app.bot, "hello?", user_id=user, chat_id=user)
    )
    await bot.app.update_queue.put(
        ptb_command_update(bot.app.bot, "/new", user_id=USERS[4], chat_id=USERS[4])
    )
    await until(lambda: any("use the buttons" in t for t in bot.texts(user)), 2, "a reply")
    await until(lambda: any("How much energy" in t for t in bot.texts(USERS[4])), 2, "/new")
    assert time.monotonic() - asked_at < 1.0
    assert not confirmable(bot, user)  # the quote is still on its way
    # A chat asking the same now shares the call in flight.
    await ask(bot, USERS[1])
    await until(lambda: confirmable(bot, user), 6, "the edited summary")
    done = summary(bot, user)
    assert done is not None
    assert done.message_id == pending.message_id  # edited in place
    assert FETCHING not in (done.text or "")
    assert "TronSave" in (done.text or "")
    await until(lambda: confirmable(bot, USERS[1]), 6, "the other chat's summary")
    assert sim_counts(sim).get("estimate") == 1
    await press(bot, done, "Confirm")
    await until(lambda: len(sim_orders(sim)) == 1, 6, "the order")
    await until(lambda: any("Submitted" in t for t in bot.texts(user)), 6, "the answer")


async def test_a_failed_slow_quote_says_so_and_try_again_brings_the_summary(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await wait_idle(sim)
    sim.add_fault("estimate", "delay", seconds=1.5, count=1)
    sim.configure(estimate_null_fields=["price", "charge_amount"])  # no price at all
    user = USERS[2]
    await ask(bot, user)
    await until(lambda: summary(bot, user) is not None, 5, "the summary")
    failed = summary(bot, user)
    assert failed is not None
    await until(
        lambda: "Could not get a price" in (summary(bot, user).text or ""),  # type: ignore[union-attr]
        6,
        "the failure",
    )
    failed = summary(bot, user)
    assert failed is not None
    assert not has_button(failed, "Confirm")
    sim.configure(estimate_null_fields=[])
    await asyncio.sleep(PACE)
    await press(bot, failed, "Try again")
    await until(lambda: confirmable(bot, user), 6, "a summary with Confirm")
    again = summary(bot, user)
    assert again is not None
    assert again.message_id != failed.message_id


async def test_confirms_pressed_together_wait_in_line_in_press_order(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    users = USERS[:3]
    for user in users:
        await ask(bot, user)
    await until(lambda: all(confirmable(bot, u) for u in users), 10, "the summaries")
    await asyncio.sleep(PACE)
    for user in users:
        message = summary(bot, user)
        assert message is not None
        await press(bot, message, "Confirm")
    await until(
        lambda: all(any("Submitted" in t for t in bot.texts(u)) for u in users),
        6 * PACE + 5,
        "every order",
    )
    # One create per pace, in press order.
    receivers = [o["receiver"] for o in sim_orders(sim)]
    assert receivers == [address(u * 100) for u in users]
    lines = {u: next(m for m in bot.messages(u) if _waiting(m)) for u in users}
    first_versions = [lines[u].versions[0].text or "" for u in users]
    assert first_versions[0] == "Submitting…"
    assert "number 2 in line" in first_versions[1]
    assert "number 3 in line" in first_versions[2]
    assert "about 1 s" in first_versions[1]
    # Each waiting message moved with the line, its place only going down, and ended at
    # "Submitting…" when its turn came.
    for user in users[1:]:
        texts = [v.text or "" for v in lines[user].versions]
        assert texts[-1] == "Submitting…"
        places = [int(t.split("number ")[1].split()[0]) for t in texts[:-1]]
        assert places == sorted(places, reverse=True)
        assert len(set(places)) == len(places), texts  # no edit that changes nothing


def _waiting(message: SentMessage) -> bool:
    first = message.versions[0].text or ""
    return first == "Submitting…" or "in line" in first


async def test_a_long_slow_summary_edits_only_its_last_part(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await wait_idle(sim)
    sim.add_fault("estimate", "delay", seconds=1.5, count=1)
    user = USERS[3]
    await ask(bot, user, receivers=100)
    await until(lambda: any(FETCHING in t for t in bot.texts(user)), 5, "the pending summary")
    before = bot.messages(user)
    assert len(before) >= 2  # 100 receivers do not fit one message
    live = before[-1]
    assert FETCHING in (live.text or "")
    await until(lambda: has_button(bot.messages(user)[-1], "Confirm"), 6, "the Confirm")
    after = bot.messages(user)
    assert [m.versions for m in after[: len(before) - 1]] == [
        m.versions for m in before[:-1]
    ]  # the receivers' part is never edited
    assert all(telegram_length(m) <= 4096 for m in after)
    text = "\n".join(m.text or "" for m in after)
    assert all(address(user * 100 + j) in text for j in range(100))
    assert f"total <b>{trx(60 * 65_000 * 100)} TRX</b>" in text
    assert FETCHING not in text
