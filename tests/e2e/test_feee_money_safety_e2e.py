"""Feee orders of several receivers against `python -m bot` in its own process: a lost
answer for one receiver is told as uncertain and never resent, and a bot killed half-way
through the loop keeps every order placed and tells the chat what is known at restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox.feee import FeeeSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import BotLauncher, TelegramUser, bot_env, query_db, wait_until
from tests.support.simulators import sim_counts, sim_orders
from tests.support.telegram_server import FakeTelegramServer, SentMessage

pytestmark = pytest.mark.e2e

A1, A2, A3 = (address_from_bytes(bytes([n]) * 20) for n in (0x71, 0x72, 0x73))


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def _orders(database: Path) -> list[tuple[int, str, str]]:
    rows = query_db(database, "SELECT id, receiver, provider_order_id FROM orders ORDER BY id")
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def _confirm(user: TelegramUser, database: Path) -> tuple[SentMessage, int]:
    """Fill the form for three receivers and press Confirm once the form is saved (as it
    is while a user reads the summary): the summary, and the last message id before."""
    summary = user.wait_for("Order summary", after=user.send(f"/new 65000 1h 70 {A1} {A2} {A3}"))
    wait_until(
        lambda: (
            any("nonce" in str(r[0]) for r in query_db(database, "SELECT data FROM ptb_data"))
            or None
        ),
        timeout=10,
        what="the summary's form saved",
    )
    before = user.last_id()
    user.press(summary, "Confirm with Feee.io")
    return summary, before


def test_a_lost_answer_for_one_receiver_is_told_uncertain_and_never_resent(
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
    feee.lose_answer(2, "error500")  # A2's order is created, its answer is a 500
    _, before = _confirm(alice, database)
    reply = alice.wait_for("address by address", after=before).text or ""

    [(order_id, receiver, order_no)] = _orders(database)
    assert receiver == A1
    assert order_no == sim_orders(feee)[0]["order_no"]
    assert f"#{order_id} · <code>{_short(A1)}</code>" in reply, reply
    assert f"❔ <code>{A2}</code>: sent, but no answer came back" in reply, reply
    assert "Check the order list of your Feee.io account for this address" in reply
    assert f"• <code>{A3}</code>" in reply, reply  # not attempted
    assert "Some addresses were not ordered" not in reply
    # Nothing was resent, then or on later poll cycles.
    for _ in range(3):
        alice.reply_to("/orders")
    assert sim_counts(feee)["submit_v2"] == 2
    assert [o["receive_address"] for o in sim_orders(feee)] == [A1, A2]
    assert query_db(database, "SELECT state FROM submissions") == [("unresolved",)]
    assert bot.terminate() == 0


def test_a_bot_killed_half_way_keeps_every_order_and_tells_the_chat_at_restart(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    feee: FeeeSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    env = bot_env(
        telegram_url=tg.base_url,
        database=database,
        feee_url=feee.base_url,
        FEEE_REQUESTS_PER_SECOND="10",
        HTTP_TIMEOUT_SECONDS="15",  # the bot is still waiting for A2's answer when killed
    )
    first = launcher.start(env)
    feee.lose_answer(2, "delay", seconds=12)
    summary, before = _confirm(alice, database)
    wait_until(lambda: len(sim_orders(feee)) == 2 or None, timeout=10, what="A2's order")
    # A1's order is in the database the moment its answer came, before the loop ends.
    [(order_id, receiver, order_no)] = wait_until(
        lambda: _orders(database) or None, timeout=5, what="A1's order stored"
    )
    assert (receiver, order_no) == (A1, sim_orders(feee)[0]["order_no"])
    first.kill()  # no clean-up: a crash, or `docker stop` running out of patience

    launcher.start(env)
    push = alice.wait_for("was cut short", after=before, timeout=15).text or ""
    assert f"#{order_id} · <code>{_short(A1)}</code>" in push, push
    assert f"❔ <code>{A2}</code>" in push, push  # the one being sent: uncertain
    assert f"• <code>{A3}</code>" in push, push  # never sent
    assert _orders(database) == [(order_id, A1, order_no)]
    assert query_db(database, "SELECT state FROM submissions") == [("unresolved",)]
    assert sim_counts(feee)["submit_v2"] == 2  # nothing resent after the restart

    # The summary's Confirm was used up before anything was sent: pressing it again after
    # the restart orders nothing.
    query = alice.press(summary, "Confirm with Feee.io")
    answers = wait_until(lambda: tg.callback_answers(query) or None, timeout=10, what="an answer")
    assert answers[0].get("text") == "This form is closed. Send /new to start a new order."
    assert sim_counts(feee)["submit_v2"] == 2
    assert query_db(database, "SELECT COUNT(*) FROM submissions") == [(1,)]

    # The stored order is tracked: its delivery is pushed.
    feee.deliver(order_no)
    delivered = alice.wait_for("Energy delivered", after=before, timeout=15).text or ""
    assert f"#{order_id}" in delivered


def test_sigterm_half_way_sends_nothing_more_and_tells_what_was_placed(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    feee: FeeeSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    env = bot_env(
        telegram_url=tg.base_url,
        database=database,
        feee_url=feee.base_url,
        FEEE_REQUESTS_PER_SECOND="10",
        HTTP_TIMEOUT_SECONDS="15",
    )
    bot = launcher.start(env)
    feee.lose_answer(2, "delay", seconds=3)  # SIGTERM arrives while A2's answer is late
    _, before = _confirm(alice, database)
    wait_until(lambda: len(sim_orders(feee)) == 2 or None, timeout=10, what="A2's order")
    assert bot.terminate() == 0  # as `docker stop` does first; within its 10 s

    reply = alice.wait_for("address by address", after=before).text or ""
    [(id1, _, no1), (id2, _, no2)] = _orders(database)
    assert [no1, no2] == [o["order_no"] for o in sim_orders(feee)]
    assert f"#{id1} · <code>{_short(A1)}</code>" in reply, reply
    assert f"#{id2} · <code>{_short(A2)}</code>" in reply, reply
    assert "The bot is restarting, so I stopped before this address" in reply, reply
    assert f"• <code>{A3}</code>" in reply, reply
    assert sim_counts(feee)["submit_v2"] == 2  # A3 was never sent
    assert query_db(database, "SELECT state FROM submissions") == [("submitted",)]
