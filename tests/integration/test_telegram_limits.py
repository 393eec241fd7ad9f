"""Telegram's limits through a real PTB Application: 100-receiver orders, refused pushes,
failing notices, a group upgraded to a supergroup, timeouts, and the summary's Confirm."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot as TgBot

from bot.domain import NoticeKind, OrderState, ProviderName
from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.storage.repository import NewNotification, NewOrder, NoticePayload, OrderChanges
from bot.telegram import outbox, push_render
from bot.telegram.callback_data import OrderAction
from bot.telegram.long_text import utf16_len
from bot.telegram.outbox import MAX_ATTEMPTS, OutboxDispatcher
from bot.tron_address import address_from_bytes
from tests.integration.harness import (
    ALICE,
    FEEE_KEY,
    TS_KEY,
    Bot,
    make_settings,
    running_bot,
)
from tests.support import updates
from tests.support.fake_bot_api import SentMessage, buttons, telegram_length
from tests.support.simulators import sim_orders
from tests.support.storage import queue_notice, queue_raw_notice
from tests.support.updates import ptb_callback_update

RECEIVERS = [address_from_bytes(bytes([i]) * 20) for i in range(1, 101)]
GROUP = -4242
SUPERGROUP = -1004242424242


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sim() -> Iterator[TronSaveSimulator]:
    simulator = TronSaveSimulator(api_key=TS_KEY, rate_interval=0.0, unit_price=60)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def feee() -> Iterator[FeeeSimulator]:
    simulator = FeeeSimulator(api_key=FEEE_KEY, qps=1000, price_v2=40)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
async def bot(tmp_path: Path, sim: TronSaveSimulator) -> AsyncIterator[Bot]:
    settings = make_settings(tmp_path, tronsave_api_key=TS_KEY, tronsave_base_url=sim.base_url)
    async with running_bot(settings) as running:
        yield running


@pytest.fixture
async def both(tmp_path: Path, sim: TronSaveSimulator, feee: FeeeSimulator) -> AsyncIterator[Bot]:
    settings = make_settings(
        tmp_path,
        tronsave_api_key=TS_KEY,
        tronsave_base_url=sim.base_url,
        feee_api_key=FEEE_KEY,
        feee_base_url=feee.base_url + "/open",
    )
    async with running_bot(settings) as running:
        yield running


def assert_fits(messages: list[SentMessage]) -> None:
    for message in messages:
        assert telegram_length(message) <= 4096, telegram_length(message)


def confirm_all_buttons(messages: list[SentMessage]) -> list[dict[str, Any]]:
    return [
        b
        for m in messages
        for b in buttons(m)
        if "Confirm all" in b["text"] or "全部" in b["text"]
    ]


async def own_dispatcher(bot: Bot, clock: Clock) -> OutboxDispatcher:
    """Stop the app's dispatcher and drive one by hand, on a test clock."""
    await bot.services.dispatcher.stop()
    return OutboxDispatcher(bot.rt, bot.app.bot, clock=clock)


async def order_100(bot: Bot, *, lang: str = "en", chat: int = ALICE) -> list[SentMessage]:
    before = len(bot.messages(chat))
    await bot.say(f"/new 65000 15m 70 {' '.join(RECEIVERS)}", lang=lang, chat=chat)
    summary = bot.messages(chat)[before:]
    assert_fits(summary)
    return summary


# -- item 11 ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_100_receivers_summary_push_and_confirm_all_fit(
    bot: Bot, sim: TronSaveSimulator, lang: str
) -> None:
    summary = await order_100(bot, lang=lang)
    assert all(r in "".join(m.text or "" for m in summary) for r in RECEIVERS)
    assert buttons(summary[-1])
    assert not any(buttons(m) for m in summary[:-1])
    confirm = "Confirm with TronSave" if lang == "en" else "向 TronSave 下单"
    before = len(bot.messages())
    await bot.press(summary[-1], confirm, lang=lang)
    assert len(sim_orders(sim)) == 100
    replies = bot.messages()[before:]
    assert_fits(replies)  # the reply to Confirm lists all 100 orders, split
    submitted = "\n".join(m.text or "" for m in replies)
    assert all(f"#{o.id} " in submitted for o in await bot.rt.repo.orders_of_submission(1))

    sim.match()
    start = len(bot.messages())
    await bot.poll()
    pushes = bot.messages()[start:]
    assert len(pushes) == 1  # provider, amount and state said once: 100 lines fit one
    assert_fits(pushes)
    assert await bot.rt.repo.unsent_notifications() == []
    every = [f"#{o.id} " for o in await bot.rt.repo.orders_of_submission(1)]
    pushed = "".join(m.text or "" for m in pushes)
    assert all(marker in pushed for marker in every)
    all_buttons = confirm_all_buttons(pushes)
    assert len(all_buttons) == 1
    assert "100" in all_buttons[0]["text"]
    assert all(len(buttons(m)) <= 100 for m in pushes)

    start = len(bot.messages())
    await bot.press_data(all_buttons[0]["callback_data"], pushes[-1], lang=lang)
    replies = bot.messages()[start:]
    assert_fits(replies)
    reply = "\n".join(m.text or "" for m in replies)
    assert all(marker.strip() in reply for marker in every)
    assert {o["status"] for o in sim_orders(sim)} != {"Matched"}
    states = {o.state for o in await bot.rt.repo.orders_of_submission(1)}
    assert states == {OrderState.CONFIRMED}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_feee_delivery_push_of_100_orders_with_tx_ids_fits(
    both: Bot, feee: FeeeSimulator, lang: str
) -> None:
    summary = await order_100(both, lang=lang)
    confirm = "Confirm with Feee.io" if lang == "en" else "向 Feee.io 下单"
    await both.press(summary[-1], confirm, lang=lang)
    orders = await both.rt.repo.orders_of_submission(1)
    assert len(orders) == 100
    feee.deliver()
    start = len(both.messages())
    await both.poll()
    pushes = both.messages()[start:]
    assert len(pushes) >= 2
    assert_fits(pushes)
    text = "".join(m.text or "" for m in pushes)
    for order in orders:
        tx = feee.order(order.provider_order_id)["frozen_tx_id"]  # type: ignore[index]
        assert str(tx) in text


async def test_summary_with_warnings_for_100_receivers_fits(both: Bot) -> None:
    before = len(both.messages())
    await both.say(f"/new 65000 15m 30 {' '.join(RECEIVERS)}")  # above max everywhere
    summary = both.messages()[before:]
    assert_fits(summary)
    assert "⚠️" in "".join(m.text or "" for m in summary)


async def test_orders_pages_fit_with_long_provider_statuses(bot: Bot) -> None:
    await bot.say(f"/new 65000 15m 70 {' '.join(RECEIVERS[:10])}")
    await bot.press(bot.last(), "Confirm with TronSave")
    await bot.rt.repo._db.execute(
        "UPDATE orders SET state = 'unknown', raw_status = ?", ("s" * 5000,)
    )
    await bot.command("/orders")
    page = bot.last()
    assert "Orders" in (page.text or "")
    assert_fits([page])


# -- item 12: the dispatcher --------------------------------------------------------------


async def matched_push(bot: Bot, sim: TronSaveSimulator, count: int = 2) -> None:
    await bot.say(f"/new 65000 15m 70 {' '.join(RECEIVERS[:count])}")
    await bot.press(bot.last(), "Confirm with TronSave")
    sim.match()


async def pushes_after(
    bot: Bot, start: int, contains: str = "Energy delivered"
) -> list[SentMessage]:
    """Let the app's own dispatcher run until a push containing `contains` arrived."""
    bot.rt.outbox_ready.set()
    for _ in range(300):
        found = bot.messages()[start:]
        if any(contains in (m.text or "") for m in found):
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"no push with {contains!r}; messages: {bot.texts()[start:]}")


async def test_a_push_refused_as_too_long_is_re_rendered_not_dropped(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await matched_push(bot, sim)
    bot.api.fail_next("sendMessage", 400, "Bad Request: message is too long")
    start = len(bot.messages())
    await bot.poll()
    pushes = bot.messages()[start:]
    assert pushes
    assert "Energy delivered" in (pushes[0].text or "")
    assert confirm_all_buttons(pushes)  # the compact rendering keeps Confirm-all
    assert bot.services.dispatcher.rerendered == 1


async def test_bad_html_falls_back_to_plain_text_with_a_hint(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await matched_push(bot, sim)
    for _ in range(2):
        bot.api.fail_next("sendMessage", 400, "Bad Request: can't parse entities: oops")
    start = len(bot.messages())
    await bot.poll()
    pushes = bot.messages()[start:]
    assert len(pushes) == 1
    assert pushes[0].parse_mode is None
    assert "<b>" not in (pushes[0].text or "")
    assert "/orders" in (pushes[0].text or "")


async def test_one_failing_notice_never_blocks_the_others(
    bot: Bot, sim: TronSaveSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "_BATCH", 1)
    # A notice no one can render (not a Telegram error), queued before a good one.
    await queue_raw_notice(bot.rt.repo, ALICE, "matched", '{"submission_id": "broken"}', now=1.0)
    await matched_push(bot, sim)
    start = len(bot.messages())
    await bot.rt.poller.run_cycle()
    await pushes_after(bot, start)


async def test_a_notice_that_keeps_failing_is_parked_after_bounded_attempts(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    clock = Clock()
    dispatcher = await own_dispatcher(bot, clock)
    await queue_raw_notice(
        bot.rt.repo, ALICE, "matched", '{"submission_id": "broken"}', now=clock()
    )
    tries = 0
    while await bot.rt.repo.unsent_notifications():
        tries += 1
        assert tries <= MAX_ATTEMPTS
        await dispatcher.drain()
        await dispatcher.drain()  # not due yet: no attempt used
        clock.now += outbox.backoff(tries) + 1
    assert tries == MAX_ATTEMPTS
    assert dispatcher.failed == 1
    assert await bot.rt.repo.count_failed_notifications() == 1


async def test_flood_control_defers_the_push_without_using_an_attempt(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    clock = Clock()
    await own_dispatcher(bot, clock)
    await matched_push(bot, sim)
    await bot.rt.poller.run_cycle()
    plain_bot = TgBot(bot.app.bot.token, request=bot.api)  # no rate limiter retrying itself
    async with plain_bot:
        dispatcher = OutboxDispatcher(bot.rt, plain_bot, clock=clock)
        bot.api.fail_next("sendMessage", 429, retry_after=30)
        start = len(bot.messages())
        await dispatcher.drain()
        (note,) = await bot.rt.repo.unsent_notifications()
        assert note.attempts == 0
        clock.now += 10
        await dispatcher.drain()
        assert len(bot.messages()) == start  # Telegram said 30 s
        clock.now += 21
        await dispatcher.drain()
        assert len(bot.messages()) == start + 1


async def test_a_send_that_timed_out_is_retried_after_a_backoff_not_at_once(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    clock = Clock()
    dispatcher = await own_dispatcher(bot, clock)
    await matched_push(bot, sim)
    await bot.rt.poller.run_cycle()
    bot.api.time_out_next("sendMessage", delivered=True)
    start = len(bot.messages())
    await dispatcher.drain()
    await dispatcher.drain()  # at once again: not repeated
    assert len(bot.messages()) - start == 1  # Telegram showed it; the answer was lost
    (note,) = await bot.rt.repo.unsent_notifications()
    assert note.attempts == 1
    clock.now += outbox.backoff(1) + 1
    await dispatcher.drain()
    # At-least-once: the push arrives again rather than risk losing it.
    assert len(bot.messages()) - start == 2
    assert await bot.rt.repo.unsent_notifications() == []


async def test_a_group_upgraded_to_a_supergroup_keeps_orders_pushes_and_buttons(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await bot.say(
        f"/new 65000 15m 70 {RECEIVERS[0]} {RECEIVERS[1]}", chat=GROUP, chat_type="group"
    )
    summary = bot.last(GROUP)
    await bot.app.process_update(
        ptb_callback_update(
            bot.app.bot,
            buttons(summary)[-3]["callback_data"],  # Confirm (then Deadline, Cancel)
            user_id=ALICE,
            chat_id=GROUP,
            message_id=summary.message_id,
            chat_type="group",
        )
    )
    orders = await bot.rt.repo.orders_of_submission(1)
    assert len(orders) == 2
    old_button = OrderAction("c", orders[0].id).pack(bot.rt.callback_secret, GROUP)
    bot.api.migrate_chat(GROUP, SUPERGROUP)
    sim.match()
    await bot.poll()
    pushes = bot.messages(SUPERGROUP)
    assert pushes
    assert "Energy delivered" in (pushes[-1].text or "")
    moved = await bot.rt.repo.orders_of_submission(1)
    assert {o.chat_id for o in moved} == {SUPERGROUP}

    async def press(data: str) -> None:
        await bot.app.process_update(
            ptb_callback_update(
                bot.app.bot,
                data,
                user_id=ALICE,
                chat_id=SUPERGROUP,
                message_id=pushes[-1].message_id,
                chat_type="supergroup",
            )
        )

    await press(old_button)  # a button sent to the group before the upgrade
    assert "Confirmed" in (bot.last(SUPERGROUP).text or "")
    await press(confirm_all_buttons(pushes)[0]["callback_data"])
    states = {o.state for o in await bot.rt.repo.orders_of_submission(1)}
    assert states == {OrderState.CONFIRMED}


# -- item 15 ------------------------------------------------------------------------------


async def test_confirm_submits_to_the_provider_it_names(
    both: Bot, sim: TronSaveSimulator, feee: FeeeSimulator
) -> None:
    await both.command(f"/new 65000 1h 70 {RECEIVERS[0]}")
    await both.press(both.last(), "TronSave ·")
    summary = both.last()
    assert "✅ Confirm with TronSave" in [b["text"] for b in buttons(summary)]
    # Another button (or a concurrent update) changes the draft after this summary.
    drafts = both.app.user_data[ALICE]["drafts"]
    drafts[str(ALICE)]["provider"] = "feee"
    await both.press(summary, "Confirm with TronSave")
    assert len(sim_orders(sim)) == 1
    assert sim_orders(feee) == []
    (sub,) = [s for s in [await both.rt.repo.get_submission(1)] if s is not None]
    assert sub.provider == "tronsave"


async def test_a_summary_replaced_by_another_provider_cannot_be_confirmed(
    both: Bot, sim: TronSaveSimulator, feee: FeeeSimulator
) -> None:
    await both.command(f"/new 65000 1h 70 {RECEIVERS[0]}")
    first = both.last()  # preselected Feee (cheaper)
    await both.press(first, "TronSave ·")
    await both.press(first, "Confirm with Feee.io")
    assert sim_orders(feee) == []
    assert sim_orders(sim) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_push_kind_of_100_orders_renders_within_the_limit(bot: Bot, lang: str) -> None:
    repo = bot.rt.repo
    await repo.set_user_lang(ALICE, lang)
    sub = await repo.create_submission(
        chat_id=ALICE,
        user_id=ALICE,
        provider=ProviderName.TRONSAVE,
        key_id="k",
        amount=65_000,
        duration_sec=900,
        max_price=70,
        deadline_sec=300,
        receivers=RECEIVERS,
        now=1.0,
    )
    new = [
        NewOrder(f"provider-order-{i:040d}", r, 10_000_000_000, 900, charge_sun=123_456_789_012)
        for i, r in enumerate(RECEIVERS)
    ]
    orders = await repo.record_orders(sub, new, now=1.0)
    for order in orders:
        await repo.update_order_details(
            order.id,
            OrderChanges(
                refund_sun=98_765_432_101, delegate_txid="f" * 64, delivered_amount=10**10
            ),
        )
    await repo._db.execute("UPDATE orders SET state = 'matched', raw_status = ?", ("Ø" * 300,))
    for kind in NoticeKind:
        await queue_notice(repo, NewNotification(ALICE, kind, NoticePayload(sub.id)), now=1.0)
    notes = await repo.unsent_notifications()
    assert len(notes) == len(NoticeKind)
    for note in notes:
        rendered = await push_render.render(bot.rt, note)
        assert rendered.parts
        assert all(utf16_len(part) <= 4096 for part in rendered.parts), note.kind
        markup = rendered.markup
        if markup is not None:
            count = sum(len(row) for row in markup.inline_keyboard)
            assert count <= 100
            assert all(
                len(str(b.callback_data).encode()) <= 64
                for row in markup.inline_keyboard
                for b in row
            )
    start = len(bot.messages())
    await bot.settle()
    sent = bot.messages()[start:]
    assert len(sent) >= len(NoticeKind)
    assert_fits(sent)


async def test_the_upgrade_service_message_moves_the_chat_before_any_push(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await bot.say(f"/new 65000 15m 70 {RECEIVERS[0]}", chat=GROUP, chat_type="group")
    summary = bot.last(GROUP)
    await bot.app.process_update(
        ptb_callback_update(
            bot.app.bot,
            buttons(summary)[-3]["callback_data"],
            user_id=ALICE,
            chat_id=GROUP,
            message_id=summary.message_id,
            chat_type="group",
        )
    )
    raw = updates.message(
        message_id=999, chat_id=GROUP, chat_type="group", sender=updates.user(ALICE)
    )
    raw["migrate_to_chat_id"] = SUPERGROUP
    await bot.app.process_update(
        updates.as_update({"update_id": updates.next_update_id(), "message": raw}, bot.app.bot)
    )
    assert {o.chat_id for o in await bot.rt.repo.orders_of_submission(1)} == {SUPERGROUP}
    sim.match()
    await bot.poll()
    assert "Energy delivered" in (bot.last(SUPERGROUP).text or "")
    assert not any("Energy delivered" in (m.text or "") for m in bot.messages(GROUP))


async def test_a_long_push_cut_off_half_way_resumes_without_gaps_or_repeats(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    clock = Clock()
    dispatcher = await own_dispatcher(bot, clock)
    await order_100(bot)
    await bot.press(bot.last(), "Confirm with TronSave")
    sim.match()
    await bot.rt.poller.run_cycle()
    # Each order names its delivery transaction: the push takes several messages.
    await bot.rt.repo._db.execute("UPDATE orders SET delegate_txid = ?", ("f" * 64,))
    bot.api.fail_next("sendMessage", 502, after=1)  # the first part goes, the second not
    start = len(bot.messages())
    await dispatcher.drain()
    assert len(bot.messages()) - start == 1
    (note,) = await bot.rt.repo.unsent_notifications()
    assert note.parts_sent == 1
    # Meanwhile the orders change, so a fresh rendering would split elsewhere.
    await bot.rt.repo._db.execute("UPDATE orders SET delegate_txid = ?", ("e" * 64,))
    clock.now += outbox.backoff(1) + 1
    await dispatcher.drain()
    pushes = bot.messages()[start:]
    assert len(pushes) > 2
    text = "\n".join(m.text or "" for m in pushes)
    for order in await bot.rt.repo.orders_of_submission(1):
        assert text.count(f"#{order.id} ") == 1
    assert text.count("f" * 64) == 100  # the texts stored with the first part
    assert len(confirm_all_buttons(pushes)) == 1
    assert_fits(pushes)


async def test_a_sent_push_the_database_cannot_record_is_not_resent_at_every_wake_up(
    bot: Bot, sim: TronSaveSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    dispatcher = await own_dispatcher(bot, clock)
    await matched_push(bot, sim)
    await bot.rt.poller.run_cycle()

    async def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bot.rt.repo, "mark_sent", disk_full)
    monkeypatch.setattr(bot.rt.repo, "defer_notification", disk_full)
    start = len(bot.messages())
    for _ in range(5):
        await dispatcher.drain()
    assert len(bot.messages()) - start == 1
    monkeypatch.undo()
    clock.now += outbox.backoff(1) + 1
    await dispatcher.drain()
    assert await bot.rt.repo.unsent_notifications() == []
