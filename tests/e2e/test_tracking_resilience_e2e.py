"""Tracking keeps going whatever one order does, against `python -m bot` in its own
process: a TronSave tracking chunk refused with 400 because of one id, and a Feee order
whose record has null where numbers belong, stop neither a later order's push nor the
tracking of the rest; the odd order is reported to its chat."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import (
    POLL_INTERVAL,
    TS_KEY,
    BotLauncher,
    TelegramUser,
    bot_env,
    query_db,
)
from tests.support.simulators import sim_counts
from tests.support.telegram_server import FakeTelegramServer, SentMessage

pytestmark = pytest.mark.e2e

A1 = address_from_bytes(b"\x61" * 20)
A2 = address_from_bytes(b"\x62" * 20)
A3 = address_from_bytes(b"\x63" * 20)
DELIVERED = "Energy delivered"
UNREADABLE = "Can't read these orders' status"
# Three unreadable answers in a row at a 0.5 s poll interval, plus the bisect's requests.
PUSH_TIMEOUT = 20.0


def _orders(database: Path, provider: str) -> list[tuple[int, str, str]]:
    rows = query_db(
        database,
        "SELECT id, provider_order_id, state FROM orders WHERE provider = ? ORDER BY id",
        (provider,),
    )
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def _submit(user: TelegramUser, command: str, button: str, reply: str) -> SentMessage:
    summary = user.wait_for("Order summary", after=user.send(command))
    return user.press_and_wait(summary, button, reply)


def _push_naming(user: TelegramUser, text: str, order_id: int, after: int) -> SentMessage:
    """The first push after `after` that says `text` and names order #`order_id`."""

    def matches(message: SentMessage) -> bool:
        body = message.text or ""
        return text in body and f"#{order_id}" in body

    return user.tg.wait_for_message(user.chat_id, matches, timeout=PUSH_TIMEOUT, after=after)


def test_a_chunk_refused_for_one_id_does_not_stop_a_later_match_push(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = launcher.start(
        bot_env(telegram_url=tg.base_url, database=database, tronsave_url=tronsave.base_url)
    )
    _submit(alice, f"/new 65000 15m 70 {A1}", "Confirm", "Submitted to TronSave")
    submitted = _submit(alice, f"/new 65000 15m 70 {A2}", "Confirm", "Submitted to TronSave")
    (odd_id, odd_pid, _), (later_id, later_pid, _) = _orders(database, "tronsave")

    # Every tracking request naming the odd order is refused whole, as TronSave does
    # with `TSAS:408 INVALID_PARAMS Invalid orderId`; the later order then matches.
    tronsave.configure(track_refuse_ids=[odd_pid])
    assert tronsave.match([later_pid]) == [later_pid]

    push = _push_naming(alice, DELIVERED, later_id, submitted.message_id)
    assert f"#{odd_id}" not in (push.text or "")
    report = _push_naming(alice, UNREADABLE, odd_id, submitted.message_id)
    assert f"#{later_id}" not in (report.text or "")
    states = {oid: state for oid, _, state in _orders(database, "tronsave")}
    assert states == {odd_id: "pending", later_id: "matched"}
    time.sleep(4 * POLL_INTERVAL)  # a few more cycles: reported once, not every cycle
    assert alice.count(UNREADABLE) == 1
    assert bot.terminate() == 0


def test_a_feee_record_with_null_fields_does_not_stop_the_others(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    feee: FeeeSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = launcher.start(
        bot_env(
            telegram_url=tg.base_url,
            database=database,
            feee_url=feee.base_url,
            FEEE_REQUESTS_PER_SECOND="10",
        )
    )
    confirm, reply = "Confirm with Feee.io", "Submitted to Feee.io"
    for receiver in (A1, A2):
        _submit(alice, f"/new 65000 1h 70 {receiver}", confirm, reply)
    submitted = _submit(alice, f"/new 65000 1h 70 {A3}", confirm, reply)
    (odd_id, odd_no, _), (null_id, null_no, _), (later_id, later_no, _) = _orders(database, "feee")

    # The first order's record loses its status and amount: nothing tells its state.
    feee.set_odd_fields(odd_no, null=["status", "resource_value", "create_time"])
    # The second's record has nulls only where nothing depends on them: still read.
    feee.set_odd_fields(
        null_no, null=["price_in_sun", "pay_amount", "refund_amount", "business_status"]
    )
    assert feee.deliver(null_no) == [null_no]
    assert feee.deliver(later_no) == [later_no]

    _push_naming(alice, DELIVERED, later_id, submitted.message_id)
    _push_naming(alice, DELIVERED, null_id, submitted.message_id)
    report = _push_naming(alice, UNREADABLE, odd_id, submitted.message_id)
    assert f"#{later_id}" not in (report.text or "")
    states = {oid: state for oid, _, state in _orders(database, "feee")}
    assert states == {odd_id: "pending", null_id: "matched", later_id: "matched"}
    time.sleep(4 * POLL_INTERVAL)
    assert alice.count(UNREADABLE) == 1
    assert bot.terminate() == 0


def test_orders_of_a_key_no_longer_configured_are_reported_not_tracked(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    env = bot_env(telegram_url=tg.base_url, database=database, tronsave_url=tronsave.base_url)
    first = launcher.start(env)
    submitted = _submit(alice, f"/new 65000 15m 70 {A1}", "Confirm", "Submitted to TronSave")
    [(order_id, order_pid, _)] = _orders(database, "tronsave")
    assert first.terminate() == 0

    # The operator switches to another TronSave account's key.
    other_key = "ts-e2e-other-account-key-0000"
    tronsave.configure(api_key=other_key)
    tronsave.clear_requests()
    second = launcher.start({**env, "TRONSAVE_API_KEY": other_key})
    _push_naming(alice, "No longer tracked", order_id, submitted.message_id)
    time.sleep(4 * POLL_INTERVAL)
    assert sim_counts(tronsave).get("track", 0) == 0  # never with another key
    assert alice.count("No longer tracked") == 1
    assert second.terminate() == 0

    # The key comes back: the order is tracked with it again.
    tronsave.configure(api_key=TS_KEY)
    assert tronsave.match([order_pid]) == [order_pid]
    third = launcher.start(env)
    _push_naming(alice, DELIVERED, order_id, submitted.message_id)
    assert third.terminate() == 0
