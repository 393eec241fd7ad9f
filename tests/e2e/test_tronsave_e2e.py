"""The TronSave stories against `python -m bot` in its own process: the fake Bot API over
HTTP, the TronSave simulator over HTTP, a real SQLite file, signals for stopping."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import (
    HTTP_TIMEOUT,
    MALLORY,
    POLL_INTERVAL,
    BotLauncher,
    TelegramUser,
    bot_env,
    labels,
    query_db,
    wait_until,
)
from tests.support.simulators import sim_counts, sim_orders
from tests.support.telegram_server import FakeTelegramServer, SentMessage

pytestmark = pytest.mark.e2e

A1 = address_from_bytes(b"\x11" * 20)
A2 = address_from_bytes(b"\x22" * 20)
DELIVERED = "Energy delivered"
# Long enough for a few poll cycles: a second push, if any, would have arrived by then.
QUIET_PERIOD = 4 * POLL_INTERVAL


def _env(tg: FakeTelegramServer, sim: TronSaveSimulator, database: Path) -> dict[str, str]:
    return bot_env(telegram_url=tg.base_url, database=database, tronsave_url=sim.base_url)


def _db_orders(database: Path) -> list[tuple[int, str, str]]:
    rows = query_db(database, "SELECT id, provider_order_id, state FROM orders ORDER BY id")
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def _order_and_submit(user: TelegramUser, *receivers: str) -> SentMessage:
    """The power-user shortcut straight to the summary, then Confirm; returns the reply."""
    summary = user.wait_for(
        "Order summary", after=user.send(f"/new 65000 15m 70 {' '.join(receivers)}")
    )
    return user.press_and_wait(summary, "Confirm", "TronSave")


def test_whole_story_order_match_push_confirm_refund(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = launcher.start(_env(tg, tronsave, database))

    start = alice.reply_to("/start")
    assert "TRON energy rental" in (start.text or "")
    assert any("Rent energy" in label for label in labels(start))

    assert "How much energy" in (alice.reply_to("/new").text or "")
    assert "For how long" in (alice.reply_to("65000").text or "")
    assert "max price" in (alice.reply_to("15m").text or "")
    assert "Which addresses" in (alice.reply_to("70").text or "")
    summary = alice.reply_to(f"{A1}, {A2}")
    text = summary.text or ""
    assert "Order summary" in text
    assert "65,000 × 2 address(es)" in text
    assert "60 SUN/unit" in text
    assert "7.8 TRX" in text
    assert sim_orders(tronsave) == []  # nothing is ordered before Confirm

    submitted = alice.press_and_wait(summary, "Confirm", "Submitted to TronSave")
    assert "2 order(s)" in (submitted.text or "")
    created = sim_orders(tronsave)
    assert [o["receiver"] for o in created] == [A1, A2]
    assert {o["status"] for o in created} == {"Pending"}
    stored = _db_orders(database)
    assert {pid for _, pid, _ in stored} == {str(o["_id"]) for o in created}
    (first_id, first_pid, _), (second_id, _, _) = stored

    assert len(tronsave.match()) == 2
    push = alice.wait_for(DELIVERED, after=submitted.message_id)
    assert f"#{first_id}" in (push.text or "")
    assert f"#{second_id}" in (push.text or "")
    buttons = labels(push)
    assert any(f"Confirm now for a refund #{first_id}" in b for b in buttons), buttons
    assert any(f"Confirm now for a refund #{second_id}" in b for b in buttons), buttons
    assert any("Confirm all" in b for b in buttons), buttons

    before = alice.last_id()
    query = alice.press(push, f"Confirm now for a refund #{first_id}")
    reply = alice.wait_for("Confirmation", after=before).text or ""
    assert "Confirmed" in reply
    assert "Refunded:" in reply
    assert "Net cost:" in reply
    assert "Working on it" in str(tg.wait_for_callback_answer(query).get("text"))
    confirmed = tronsave.order(first_pid)
    assert confirmed is not None
    assert confirmed["repay_by"] == "Confirmed"
    assert confirmed["status"] == "Completed"
    assert [state for oid, _, state in _db_orders(database) if oid == first_id] == ["confirmed"]
    assert sim_counts(tronsave).get("confirm") == 1  # only the one order was confirmed
    assert alice.count(DELIVERED) == 1

    assert bot.terminate() == 0


def test_bad_input_at_every_step_is_explained_and_asked_again(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = launcher.start(_env(tg, tronsave, database))
    assert "How much energy" in (alice.reply_to("/new").text or "")
    steps = [
        ("lots", "not a whole number", "How much energy"),
        ("5", "between 10000", "How much energy"),
        ("65000", None, "For how long"),
        ("forever", "couldn't read that duration", "For how long"),
        ("1m", "between 300", "For how long"),
        ("1h", None, "max price"),
        ("70.5", "whole number of SUN", "max price"),
        ("5000", "between 1 and 1000", "max price"),
        ("70", None, "Which addresses"),
        ("TQk2eKHE9ZfCdVmyPnh8DfRMUF5b123456", "not valid TRON addresses", "Which addresses"),
        (f"{A1} Tnotanaddress", "not valid TRON addresses", "Which addresses"),
    ]
    for answer, explanation, question in steps:
        text = alice.reply_to(answer).text or ""
        if explanation is not None:
            assert explanation in text, (answer, text)
        assert question in text, (answer, text)
    assert "Nothing was submitted" in (alice.reply_to("/cancel").text or "")

    assert sim_orders(tronsave) == []
    assert "create" not in sim_counts(tronsave)
    assert query_db(database, "SELECT count(*) FROM submissions") == [(0,)]
    assert _db_orders(database) == []
    assert bot.terminate() == 0


def test_stranger_is_told_their_id_and_nothing_reaches_the_provider(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    database: Path,
) -> None:
    bot = launcher.start(_env(tg, tronsave, database))
    mallory = TelegramUser(tg, MALLORY)
    calls_before = sim_counts(tronsave)
    for command in ("/new", f"/new 65000 15m 70 {A1}", "/orders", "/balance"):
        text = mallory.reply_to(command).text or ""
        assert str(MALLORY) in text, (command, text)
        assert "ALLOWED_USER_IDS" in text, (command, text)
    start = mallory.reply_to("/start").text or ""
    assert str(MALLORY) in start  # /start works, and says the same
    assert sim_orders(tronsave) == []
    assert sim_counts(tronsave) == calls_before  # not even a quote or a balance was asked for
    assert query_db(database, "SELECT count(*) FROM submissions") == [(0,)]
    assert bot.terminate() == 0


def test_forged_button_is_refused_without_a_provider_call(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = launcher.start(_env(tg, tronsave, database))
    submitted = _order_and_submit(alice, A1)
    assert "Submitted to TronSave" in (submitted.text or "")
    tronsave.match()
    push = alice.wait_for(DELIVERED, after=submitted.message_id)
    [(order_id, provider_id, _)] = _db_orders(database)
    genuine = [b for b in labels(push) if f"#{order_id}" in b]
    assert genuine, labels(push)  # the real button exists; the forged one imitates it

    before = sim_counts(tronsave)
    for forged in (
        f"a:c:{order_id}:AAAAAAAAAAA",  # a made-up signature
        f"a:x:{order_id}:AAAAAAAAAAA",  # cancel, made up
        f"a:ca:{order_id}:AAAAAAAAAAA",  # confirm all, made up
        f"a:c:{order_id}",  # no signature at all
    ):
        query = alice.press_data(push, forged)
        answer = tg.wait_for_callback_answer(query)
        assert "not valid" in str(answer.get("text")), (forged, answer)
    # A genuine button still works afterwards: the bot is fine, it just refused the fakes.
    reply = alice.press_and_wait(push, f"Confirm now for a refund #{order_id}", "Confirmation")
    assert "Confirmed" in (reply.text or "")

    after = sim_counts(tronsave)
    assert after.get("cancel", 0) == before.get("cancel", 0) == 0
    assert after.get("confirm", 0) == before.get("confirm", 0) + 1  # the genuine press only
    order = tronsave.order(provider_id)
    assert order is not None
    assert order["repay_by"] == "Confirmed"
    assert bot.terminate() == 0


def test_create_timeout_is_reconciled_into_exactly_one_order(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = launcher.start(_env(tg, tronsave, database))
    # The order is created, but the answer comes after the bot's HTTP timeout.
    tronsave.add_fault("create", "delay", seconds=HTTP_TIMEOUT + 1.5, count=1)
    summary = alice.wait_for("Order summary", after=alice.send(f"/new 65000 15m 70 {A1}"))
    before = alice.last_id()
    alice.press(summary, "Confirm")
    told = alice.wait_for("connection to TronSave broke", after=before, timeout=15)
    told_text = told.text or ""
    assert "Submitted" not in told_text
    if "found the order" not in told_text:
        # Not found at once: the poller's reconciliation finds it and pushes.
        alice.wait_for("Found the order(s) of submission", after=told.message_id)
    assert sim_counts(tronsave).get("create") == 1  # never retried

    created = sim_orders(tronsave)
    assert len(created) == 1
    stored = _db_orders(database)
    assert [pid for _, pid, _ in stored] == [created[0]["_id"]]

    tronsave.match()
    push = alice.wait_for(DELIVERED, after=told.message_id)
    assert f"#{stored[0][0]}" in (push.text or "")
    time.sleep(QUIET_PERIOD)
    assert alice.count(DELIVERED) == 1
    assert len(sim_orders(tronsave)) == 1
    assert [state for _, _, state in _db_orders(database)] == ["matched"]
    assert bot.terminate() == 0


def test_sigkill_while_pending_then_restart_pushes_the_match_exactly_once(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    env = _env(tg, tronsave, database)
    first = launcher.start(env)
    submitted = _order_and_submit(alice, A1)
    assert "Submitted to TronSave" in (submitted.text or "")
    [(order_id, _, state)] = wait_until(
        lambda: _db_orders(database) or None, timeout=5, what="the order to be stored"
    )
    assert state == "pending"
    # Telegram must have been told every update was handled, or the press would replay.
    wait_until(lambda: not tg.pending_updates(), timeout=5, what="updates to be confirmed")

    assert first.kill() == -signal.SIGKILL
    tronsave.match()  # matched while no bot runs
    assert alice.count(DELIVERED) == 0

    second = launcher.start(env)
    push = alice.wait_for(DELIVERED, after=submitted.message_id, timeout=15)
    assert f"#{order_id}" in (push.text or "")
    assert any(f"Confirm now for a refund #{order_id}" in b for b in labels(push))
    time.sleep(QUIET_PERIOD)
    assert alice.count(DELIVERED) == 1
    assert _db_orders(database)[0][2] == "matched"
    assert len(sim_orders(tronsave)) == 1
    assert query_db(database, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == [(0,)]
    assert second.terminate() == 0


def test_order_form_survives_a_graceful_restart(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    env = _env(tg, tronsave, database)
    first = launcher.start(env)
    assert "How much energy" in (alice.reply_to("/new").text or "")
    assert "For how long" in (alice.reply_to("65000").text or "")
    assert "max price" in (alice.reply_to("15m").text or "")
    assert first.terminate() == 0

    second = launcher.start(env)
    reply = alice.reply_to("70").text or ""
    assert "Which addresses" in reply, reply
    assert "I didn't get that" not in reply
    summary = alice.reply_to(A1).text or ""
    # The answers given before the restart are still part of the order.
    assert "Order summary" in summary
    assert "65,000 × 1 address(es)" in summary
    assert "Duration: 15 min" in summary
    assert "Max price: 70 SUN/unit" in summary
    assert second.terminate() == 0
