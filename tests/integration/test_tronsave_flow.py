"""The TronSave story through a real PTB Application: order, push, confirm, cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.domain import OrderState
from bot.healthcheck import read_heartbeat_record
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.integration.harness import (
    ALICE,
    BOB,
    MALLORY,
    TS_KEY,
    Bot,
    make_settings,
    running_bot,
)
from tests.support.simulators import sim_counts, sim_orders
from tests.support.storage import stored_order

A1 = address_from_bytes(b"\x11" * 20)
A2 = address_from_bytes(b"\x22" * 20)


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
        yield running


async def order_through_the_form(bot: Bot) -> None:
    await bot.command("/new")
    assert "How much energy" in bot.last().text  # type: ignore[operator]
    await bot.say("65000")
    assert "For how long" in (bot.last().text or "")
    await bot.say("15m")
    assert "max price" in (bot.last().text or "")
    await bot.say("70")
    assert "addresses" in (bot.last().text or "")
    await bot.say(f"{A1}, {A2}\n{A1}")


async def test_full_story_order_match_push_confirm_refund(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await order_through_the_form(bot)
    summary = bot.last()
    text = summary.text or ""
    assert "65,000 × 2 address(es)" in text  # the duplicate was dropped
    assert "60 SUN/unit" in text
    assert "7.8 TRX" in text
    assert "Matching deadline: 5 min" in text
    await bot.press(summary, "Confirm")
    assert "Submitted to TronSave: 2 order(s)" in (bot.last().text or "")
    orders = await bot.rt.repo.orders_of_submission(1)
    assert [o.receiver for o in orders] == [A1, A2]
    assert {o.provider_order_id for o in orders} == {str(o["_id"]) for o in sim_orders(sim)}

    sim.match()
    await bot.poll()
    push = bot.last()
    assert "Energy delivered" in (push.text or "")
    assert f"#{orders[0].id}" in (push.text or "")
    assert f"#{orders[1].id}" in (push.text or "")
    await bot.press(push, f"Confirm now for a refund #{orders[0].id}")
    reply = bot.last().text or ""
    assert "Confirmed" in reply
    assert "Refunded:" in reply
    assert "Net cost:" in reply
    confirmed = await stored_order(bot.rt.repo, orders[0].id)
    assert confirmed is not None
    assert confirmed.state is OrderState.CONFIRMED
    assert confirmed.charge_sun == 65_000 * 60
    assert confirmed.refund_sun is not None
    assert 0 < confirmed.refund_sun < confirmed.charge_sun

    # Pressing the same button again changes nothing and calls nothing.
    confirms_before = sim_counts(sim).get("confirm", 0)
    await bot.press(push, f"Confirm now for a refund #{orders[0].id}")
    assert "Already confirmed" in (bot.last().text or "")
    assert sim_counts(sim).get("confirm", 0) == confirms_before


async def test_every_bad_answer_is_explained_and_asked_again(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await bot.command("/new")
    for bad, expected in [("lots", "not a whole number"), ("5", "between 10000")]:
        await bot.say(bad)
        assert expected in (bot.last().text or "")
        assert "How much energy" in (bot.last().text or "")
    await bot.say("65000")
    await bot.say("forever")
    assert "couldn't read that duration" in (bot.last().text or "")
    await bot.say("1m")
    assert "between 300" in (bot.last().text or "")
    await bot.say("1h")
    await bot.say("70.5")
    assert "whole number of SUN" in (bot.last().text or "")
    await bot.say("70")
    await bot.say("TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456")
    assert "not valid TRON addresses" in (bot.last().text or "")
    assert "Which addresses" in (bot.last().text or "")
    assert sim_orders(sim) == []
    assert await bot.rt.repo.chat_orders(ALICE, offset=0, limit=5) == ([], 0)


async def test_shortcut_goes_straight_to_the_summary(bot: Bot) -> None:
    await bot.command(f"/new 65000 15m 70 {A1} {A2}")
    assert "Order summary" in (bot.last().text or "")
    await bot.command("/new 65000 15m abc")
    assert "whole number of SUN" in (bot.last().text or "")


async def test_summary_confirm_pressed_twice_submits_once(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await bot.command(f"/new 65000 15m 70 {A1}")
    summary = bot.last()
    await bot.press(summary, "Confirm")
    await bot.press(summary, "Confirm")
    assert len(sim_orders(sim)) == 1


async def test_cancel_leaves_without_submitting(bot: Bot, sim: TronSaveSimulator) -> None:
    await bot.command("/new")
    await bot.say("65000")
    await bot.command("/cancel")
    assert "Nothing was submitted" in (bot.last().text or "")
    await bot.say("15m")  # no longer in the form
    assert "/new" in (bot.last().text or "")
    assert sim_orders(sim) == []


async def test_stranger_is_told_their_id_and_nothing_is_spent(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await bot.command("/new", user=MALLORY)
    assert str(MALLORY) in (bot.last(MALLORY).text or "")
    assert "ALLOWED_USER_IDS" in (bot.last(MALLORY).text or "")
    await bot.command("/balance", user=MALLORY)
    assert str(MALLORY) in (bot.last(MALLORY).text or "")
    assert sim_counts(sim).get("user_info", 0) == 0


async def test_forged_and_foreign_buttons_are_refused_without_an_api_call(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    await bot.command(f"/new 65000 15m 70 {A1}")
    await bot.press(bot.last(), "Confirm")
    sim.match()
    await bot.poll()
    push = bot.last()
    before = sim_counts(sim)
    await bot.press_data("a:c:1:AAAAAAAAAAA", push)  # forged tag
    answers = [c for m, c in bot.api.calls if m == "answerCallbackQuery"]
    assert "not valid" in str(answers[-1].get("text"))
    # A genuine button of ALICE's chat pressed in another chat (by an allowed user).
    genuine = push.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    await bot.press_data(genuine, push, user=1002, chat=1002)
    # A stranger pressing the genuine button in the right chat.
    await bot.press_data(genuine, push, user=MALLORY)
    assert sim_counts(sim) == before
    order = await stored_order(bot.rt.repo, 1)
    assert order is not None
    assert order.state is OrderState.MATCHED


async def test_orders_lists_and_cancels_a_pending_order(bot: Bot, sim: TronSaveSimulator) -> None:
    await bot.command(f"/new 65000 15m 70 {A1} {A2}")
    await bot.press(bot.last(), "Confirm")
    await bot.command("/orders")
    listing = bot.last()
    assert "waiting for a match" in (listing.text or "")
    await bot.press(listing, "Cancel #2")
    assert "Cancelled and refunded" in (bot.last().text or "")
    cancelled = [o for o in sim_orders(sim) if o["status"] == "Cancelled"]
    assert len(cancelled) == 1


async def test_a_blocked_chat_is_marked_and_not_retried(bot: Bot, sim: TronSaveSimulator) -> None:
    await bot.command(f"/new 65000 15m 70 {A1}")
    await bot.press(bot.last(), "Confirm")
    bot.api.block_chat(ALICE)
    sim.match()
    await bot.poll()
    assert await bot.rt.repo.is_chat_blocked(ALICE)
    sends = len(bot.api.calls_of("sendMessage"))
    await bot.poll()
    assert len(bot.api.calls_of("sendMessage")) == sends


async def test_chinese_users_get_chinese(bot: Bot) -> None:
    await bot.command("/new", lang="zh-hans")
    assert "每个地址需要多少能量" in (bot.last().text or "")
    await bot.command("/language")
    await bot.press(bot.last(), "English")
    await bot.command("/help")
    assert "Commands" in (bot.last().text or "")


async def test_the_form_survives_a_restart(tmp_path: Path, sim: TronSaveSimulator) -> None:
    settings = make_settings(tmp_path, tronsave_api_key=TS_KEY, tronsave_base_url=sim.base_url)
    async with running_bot(settings) as first:
        await first.command("/new")
        await first.say("65000")
        await first.say("15m")
    async with running_bot(settings) as second:
        await second.say("70")
        assert "Which addresses" in (second.last().text or "")
        await second.say(A1)
        assert "Order summary" in (second.last().text or "")
        assert "65,000 × 1 address(es)" in (second.last().text or "")


async def test_orders_pages_through_many_orders(bot: Bot) -> None:
    receivers = " ".join(address_from_bytes(bytes([i]) * 20) for i in range(1, 13))
    await bot.command(f"/new 65000 15m 70 {receivers}")
    await bot.press(bot.last(), "Confirm")
    await bot.command("/orders")
    first_page = bot.last()
    assert "page 1/3, 12 in all" in (first_page.text or "")
    assert "#12" in (first_page.text or "")
    assert "#7" not in (first_page.text or "")
    await bot.press(first_page, "Older")
    edited = bot.messages()[-1]
    assert "page 2/3" in (edited.text or "")


async def test_the_poll_job_refreshes_the_heartbeat_and_schedules_the_next_cycle(
    bot: Bot, sim: TronSaveSimulator, tmp_path: Path
) -> None:
    job_queue = bot.app.job_queue
    assert job_queue is not None
    (first,) = job_queue.get_jobs_by_name("order-poller")
    heartbeat = tmp_path / "heartbeat"
    heartbeat.unlink()
    await bot.command(f"/new 65000 15m 70 {A1}")
    await bot.press(bot.last(), "Confirm")
    sim.match()
    await first.run(bot.app)
    await bot.settle()
    assert heartbeat.exists()
    assert read_heartbeat_record(heartbeat)[1] is not None  # written by the finished cycle
    assert "Energy delivered" in (bot.last().text or "")
    scheduled = job_queue.get_jobs_by_name("order-poller")
    assert len(scheduled) == 2  # the next cycle, queued when this one ended


async def test_in_a_group_only_allowed_users_may_press(bot: Bot, sim: TronSaveSimulator) -> None:
    group = -100500
    await bot.command(f"/new 65000 15m 70 {A1}", chat=group, chat_type="group")
    await bot.press(bot.last(group), "Confirm")
    sim.match()
    await bot.poll()
    push = bot.last(group)
    confirm = "Confirm now for a refund #1"
    await bot.press(push, confirm, user=MALLORY)
    assert sim_counts(sim).get("confirm", 0) == 0
    await bot.press(push, confirm, user=BOB)  # another allowed member of the group
    assert "Confirmed" in (bot.last(group).text or "")
    assert sim_counts(sim)["confirm"] == 1


async def test_group_questions_ask_for_a_reply(bot: Bot) -> None:
    await bot.command("/new", chat=-100501, chat_type="group")
    sent = bot.api.sent_messages(-100501)[-1]
    assert sent["reply_markup"]["force_reply"] is True


async def test_the_command_menu_is_set_in_both_languages(bot: Bot) -> None:
    menus = bot.api.commands()
    assert [c["command"] for c in menus[("default", "")]] == [
        "new",
        "orders",
        "history",
        "balance",
        "watch",
        "autorent",
        "language",
        "settings",
        "help",
        "cancel",
    ]
    assert menus[("default", "zh")][0]["description"] == "租用能量"


async def test_a_summary_stored_by_the_dict_wizard_still_submits_on_its_old_button(
    bot: Bot, sim: TronSaveSimulator
) -> None:
    """A draft saved before the upgrade (the plain dict the older wizard stored) and the
    Confirm button it showed ("w:go:<provider>:<nonce>") still submit what it showed."""
    await order_through_the_form(bot)
    summary = bot.last()
    assert bot.app.user_data[ALICE]["drafts"][str(ALICE)]["nonce"]
    shown = {"amount": 65_000, "duration": 900, "price": 70, "receivers": [A1], "deadline": 300}
    bot.app.user_data[ALICE]["drafts"][str(ALICE)] = {
        **shown,
        "provider": "tronsave",
        "nonce": "0ldN0nce",
        "offer": {"nonce": "0ldN0nce", "provider": "tronsave", "request": shown},
    }
    await bot.press_data("w:go:tronsave:wrong", summary)  # another summary's: nothing
    assert await bot.rt.repo.orders_of_submission(1) == []
    assert bot.api.calls_of("answerCallbackQuery")[-1].get("show_alert") is True
    await bot.press_data("w:go:tronsave:0ldN0nce", summary)
    assert "Submitted to TronSave: 1 order(s)" in (bot.last().text or "")
    [order] = await bot.rt.repo.orders_of_submission(1)
    assert order.receiver == A1
    await bot.press_data("w:go:tronsave:0ldN0nce", summary)  # once only
    assert len(await bot.rt.repo.orders_of_submission(1)) == 1
