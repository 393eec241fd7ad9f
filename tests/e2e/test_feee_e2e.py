"""Feee.io beside TronSave against `python -m bot` in its own process: the cheaper quote is
preselected, a delivery is pushed without a confirm button, and a waiting order can be
cancelled only once Feee's five minutes have passed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.sandbox.feee import FeeeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import (
    BotLauncher,
    TelegramUser,
    bot_env,
    labels,
    query_db,
)
from tests.support.telegram_server import FakeTelegramServer, SentMessage

pytestmark = pytest.mark.e2e

A1 = address_from_bytes(b"\x33" * 20)
A2 = address_from_bytes(b"\x44" * 20)
FEEE_CANCEL_AFTER = 300  # seconds after creation, on Feee's clock


def _summary(user: TelegramUser, receiver: str) -> SentMessage:
    return user.wait_for("Order summary", after=user.send(f"/new 65000 1h 70 {receiver}"))


def _feee_order_ids(database: Path) -> list[tuple[int, str]]:
    rows = query_db(
        database, "SELECT id, provider_order_id FROM orders WHERE provider = 'feee' ORDER BY id"
    )
    return [(int(r[0]), str(r[1])) for r in rows]


def test_feee_quote_delivery_push_and_cancel_after_five_minutes(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    feee: FeeeSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    bot = launcher.start(
        bot_env(
            telegram_url=tg.base_url,
            database=database,
            tronsave_url=tronsave.base_url,
            feee_url=feee.base_url,
            FEEE_REQUESTS_PER_SECOND="10",
        )
    )

    # Both quotes; Feee (65,000 x 40 SUN + 0.56 TRX fee = 3.16 TRX) beats TronSave (3.9 TRX).
    summary = _summary(alice, A1)
    text = summary.text or ""
    assert "<b>TronSave</b>: 60 SUN/unit, total <b>3.9 TRX</b>" in text, text
    assert "<b>Feee.io</b>: 49 SUN/unit, total <b>3.16 TRX</b>" in text, text  # 40 + fee
    buttons = labels(summary)
    assert "● Feee.io · 3.16 TRX" in buttons, buttons  # preselected: the cheaper one
    assert "TronSave · 3.9 TRX" in buttons, buttons
    assert any("Confirm with Feee.io" in b for b in buttons), buttons

    # Switching works both ways; the choice decides which provider Confirm sends to.
    switched = alice.press_and_wait(summary, "TronSave ·", "Order summary")
    assert any("Confirm with TronSave" in b for b in labels(switched)), labels(switched)
    summary = alice.press_and_wait(switched, "Feee.io ·", "Order summary")
    assert "● Feee.io · 3.16 TRX" in labels(summary), labels(summary)

    submitted = alice.press_and_wait(summary, "Confirm with Feee.io", "Submitted to Feee.io")
    assert "1 order(s)" in (submitted.text or "")
    assert tronsave.state()["orders"] == []
    [(first_id, first_no)] = _feee_order_ids(database)

    # Delivery: the push names the receiver, the amount and the delegation transaction.
    assert feee.deliver(first_no) == [first_no]
    delivered = feee.order(first_no)
    assert delivered is not None
    txid = str(delivered["frozen_tx_id"])
    push = alice.wait_for("Energy delivered", after=submitted.message_id)
    push_text = push.text or ""
    assert f"#{first_id}" in push_text
    assert f"65,000 energy to <code>{A1[:6]}…{A1[-4:]}</code>" in push_text, push_text
    assert f"tx <code>{txid}</code>" in push_text, push_text
    assert not any("Confirm" in b for b in labels(push)), labels(push)  # Feee can't confirm

    # A second order waits for delivery: no Cancel before Feee's five minutes are up.
    summary = _summary(alice, A2)
    assert "● Feee.io" in " ".join(labels(summary))
    alice.press_and_wait(summary, "Confirm with Feee.io", "Submitted to Feee.io")
    [_, (second_id, second_no)] = _feee_order_ids(database)
    listing = alice.reply_to("/orders")
    assert f"#{second_id}" in (listing.text or "")
    assert "waiting for a match" in (listing.text or "")
    assert not any("Cancel #" in b for b in labels(listing)), labels(listing)

    # Five minutes pass on Feee's clock; a poll cycle brings the new creation time.
    feee.advance_clock(FEEE_CANCEL_AFTER + 1)
    deadline = time.monotonic() + 10
    while not any(f"Cancel #{second_id}" in b for b in labels(listing)):
        assert time.monotonic() < deadline, f"no Cancel button; last listing: {listing}"
        time.sleep(0.3)
        listing = alice.reply_to("/orders")
    assert not any(f"Cancel #{first_id}" in b for b in labels(listing))  # delivered already

    reply = alice.press_and_wait(listing, f"Cancel #{second_id}", "Cancellation")
    assert "Cancelled and refunded" in (reply.text or ""), reply.text
    cancelled = feee.order(second_no)
    assert cancelled is not None
    assert cancelled["status"] == 12
    states = query_db(database, "SELECT state FROM orders WHERE id = ?", (second_id,))
    assert states == [("cancelled",)]
    assert bot.terminate() == 0
