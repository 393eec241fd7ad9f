"""Telegram's 4,096-character limit against `python -m bot` in its own process: a
100-receiver TronSave order is summarised, matched and pushed within the limit (the fake
Bot API refuses longer texts as Telegram does), with one Confirm-all that confirms all
100 orders on the simulator; a group upgraded to a supergroup still gets its push."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import (
    BotLauncher,
    TelegramUser,
    bot_env,
    labels,
    query_db,
    wait_until,
)
from tests.support.fake_bot_api import buttons, telegram_length
from tests.support.simulators import sim_orders
from tests.support.telegram_server import FakeTelegramServer, SentMessage

pytestmark = pytest.mark.e2e

RECEIVERS = [address_from_bytes(bytes([i]) * 20) for i in range(1, 101)]


def _fits(messages: list[SentMessage]) -> None:
    for message in messages:
        assert telegram_length(message) <= 4096


def test_100_receivers_push_fits_and_one_confirm_all_confirms_all(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = launcher.start(
        bot_env(telegram_url=tg.base_url, database=database, tronsave_url=tronsave.base_url)
    )
    sent = alice.send(f"/new 65000 15m 70 {' '.join(RECEIVERS)}")
    confirm = wait_until(
        lambda: next(
            (
                m
                for m in alice.messages()
                if m.message_id > sent and "Confirm with" in str(labels(m))
            ),
            None,
        ),
        timeout=15.0,
        what="a summary with Confirm",
    )
    summary = [m for m in alice.messages() if m.message_id > sent]
    _fits(summary)
    alice.press(confirm, "Confirm with TronSave")
    wait_until(
        lambda: len(sim_orders(tronsave)) == 100 or None,
        timeout=30.0,
        what="100 orders on TronSave",
    )
    wait_until(
        lambda: len(query_db(database, "SELECT id FROM orders")) == 100 or None,
        timeout=30.0,
        what="100 stored orders",
    )
    before = alice.last_id()
    assert len(tronsave.match()) == 100

    def pushed() -> list[SentMessage] | None:
        messages = [m for m in alice.messages() if m.message_id > before]
        done = any("Confirm all" in label for m in messages for label in labels(m))
        return messages if done else None

    pushes = wait_until(pushed, timeout=30.0, what="the push with Confirm-all")
    _fits(pushes)
    assert sum("Energy delivered" in (m.text or "") for m in pushes) >= 1
    text = "".join(m.text or "" for m in pushes)
    ids = [int(r[0]) for r in query_db(database, "SELECT id FROM orders")]
    assert all(f"#{i} " in text for i in ids)
    all_buttons = [
        (m, b) for m in pushes for b in buttons(m.reply_markup) if "Confirm all" in b["text"]
    ]
    assert len(all_buttons) == 1
    message, button = all_buttons[0]
    assert "100" in button["text"]
    # The row is marked sent once the Bot API's answer is back, a moment after the stand-in
    # has the message.
    wait_until(
        lambda: (
            query_db(database, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL") == [(0,)]
            or None
        ),
        timeout=10.0,
        what="every push marked sent",
    )

    after = alice.last_id()
    alice.press_data(message, str(button["callback_data"]))
    wait_until(
        lambda: {o["repay_by"] for o in sim_orders(tronsave)} == {"Confirmed"} or None,
        timeout=60.0,
        what="all 100 confirmed on TronSave",
    )
    replies = wait_until(
        lambda: (
            [
                m
                for m in alice.messages()
                if m.message_id > after and "Confirmation" in (m.text or "")
            ]
            or None
        ),
        timeout=30.0,
        what="the confirmation reply",
    )
    _fits(replies)
    states = query_db(database, "SELECT DISTINCT state FROM orders")
    assert states == [("confirmed",)]
    assert bot.terminate() == 0


def test_a_group_upgraded_to_a_supergroup_gets_its_push_and_working_buttons(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    group, supergroup = -777, -1000000000777
    bot = launcher.start(
        bot_env(telegram_url=tg.base_url, database=database, tronsave_url=tronsave.base_url)
    )
    sent = tg.send_command(
        f"/new 65000 15m 70 {RECEIVERS[0]} {RECEIVERS[1]}",
        user_id=alice.user_id,
        chat_id=group,
        chat_type="group",
    )
    summary = tg.wait_for_message(
        group, lambda m: "Confirm with" in str(labels(m)), timeout=15.0, after=sent
    )
    tg.press_button(
        user_id=alice.user_id,
        chat_id=group,
        message_id=summary.message_id,
        data=next(str(b["callback_data"]) for b in buttons(summary) if "Confirm" in b["text"]),
    )
    wait_until(
        lambda: len(query_db(database, "SELECT id FROM orders")) == 2 or None,
        timeout=30.0,
        what="2 stored orders",
    )
    tg.migrate_chat(group, supergroup)
    assert len(tronsave.match()) == 2
    push = tg.wait_for_message(
        supergroup, lambda m: "Energy delivered" in (m.text or ""), timeout=30.0
    )
    assert query_db(database, "SELECT DISTINCT chat_id FROM orders") == [(supergroup,)]
    confirm_all = next(
        str(b["callback_data"]) for b in buttons(push) if "Confirm all" in b["text"]
    )
    tg.press_button(
        user_id=alice.user_id, chat_id=supergroup, message_id=push.message_id, data=confirm_all
    )
    wait_until(
        lambda: {o["repay_by"] for o in sim_orders(tronsave)} == {"Confirmed"} or None,
        timeout=30.0,
        what="both confirmed on TronSave",
    )
    assert bot.terminate() == 0
