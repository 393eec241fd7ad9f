"""A TronSave create whose answer is lost, against `python -m bot` in its own process: only
the submission's own orders are adopted, orders the history shows late are all found and
announced, and a search that cannot finish is reported as unknown."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.sandbox.tronsave import TronSaveSimulator
from bot.tron_address import address_from_bytes
from tests.e2e.process import (
    POLL_INTERVAL,
    BotLauncher,
    TelegramUser,
    bot_env,
    query_db,
    wait_until,
)
from tests.support.simulators import sim_counts, sim_orders
from tests.support.telegram_server import FakeTelegramServer, SentMessage

pytestmark = pytest.mark.e2e

A1, A2, A3 = (address_from_bytes(bytes([n]) * 20) for n in (0x31, 0x32, 0x33))
BROKE = "connection to TronSave broke"
FOUND = "Found the order(s) of submission"
# What the bot sends: 65,000 energy, 15 min, max 70 SUN, the default 300 s deadline.
SAME_KEY_ORDER = {"amount": 65_000, "duration_sec": 900, "max_price_accept": 70, "deadline": 300}


def _env(tg: FakeTelegramServer, sim: TronSaveSimulator, database: Path) -> dict[str, str]:
    return bot_env(telegram_url=tg.base_url, database=database, tronsave_url=sim.base_url)


def _stored_ids(database: Path) -> list[str]:
    rows = query_db(database, "SELECT provider_order_id FROM orders ORDER BY id")
    return [str(r[0]) for r in rows]


def _summary(user: TelegramUser, *receivers: str) -> SentMessage:
    command = f"/new 65000 15m 70 {' '.join(receivers)}"
    return user.wait_for("Order summary", after=user.send(command))


def test_order_made_on_the_key_just_before_is_not_adopted_but_the_own_one_is(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    tronsave.configure(clock_offset=45.0)  # the provider's clock runs 45 s ahead of ours
    bot = launcher.start(_env(tg, tronsave, database))
    summary = _summary(alice, A1)
    # Something else orders the very same thing on the key a moment before the bot does;
    # then the bot's create makes its order but the answer is lost.
    foreign = tronsave.place_foreign(receiver=A1, age=0.3, **SAME_KEY_ORDER)
    tronsave.add_fault("create", "error500")
    before = alice.last_id()
    alice.press(summary, "Confirm")
    told = alice.wait_for(BROKE, after=before, timeout=30)
    if "found the order" not in (told.text or ""):
        alice.wait_for(FOUND, after=before, timeout=30)
    own = [str(o["_id"]) for o in sim_orders(tronsave) if o["_id"] != foreign]
    assert len(own) == 1
    assert _stored_ids(database) == own
    assert sim_counts(tronsave).get("create") == 1  # never retried
    assert bot.terminate() == 0


def test_orders_the_history_shows_one_by_one_are_all_adopted_and_announced(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    # The history lists the request's three orders 1 s, 3 s and 5 s after their creation.
    tronsave.configure(history_delay=1.0, history_stagger=2.0)
    bot = launcher.start(_env(tg, tronsave, database))
    summary = _summary(alice, A1, A2, A3)
    tronsave.add_fault("create", "error500")
    before = alice.last_id()
    alice.press(summary, "Confirm")
    told = alice.wait_for(BROKE, after=before, timeout=30)
    created = [str(o["_id"]) for o in sim_orders(tronsave)]
    assert len(created) == 3
    wait_until(
        lambda: sorted(_stored_ids(database)) == sorted(created) or None,
        timeout=40,
        what="all three orders to be adopted",
    )
    order_ids = [int(r[0]) for r in query_db(database, "SELECT id FROM orders ORDER BY id")]

    def announced() -> bool | None:
        pushes = [m.text or "" for m in alice.messages() if m.message_id > before]
        texts = "\n".join(p for p in pushes if FOUND in p or "found the order" in p)
        return all(f"#{i}" in texts for i in order_ids) or None

    wait_until(announced, timeout=10, what="a push naming every adopted order")
    time.sleep(4 * POLL_INTERVAL)
    assert sorted(_stored_ids(database)) == sorted(created)  # nothing else adopted
    assert query_db(database, "SELECT state FROM submissions") == [("submitted",)]
    assert alice.count("search finished") == 0
    assert alice.count("outcome unknown") == 0
    assert told.message_id > before
    assert bot.terminate() == 0


def test_a_history_search_that_cannot_finish_reports_the_outcome_unknown(
    launcher: BotLauncher,
    tg: FakeTelegramServer,
    tronsave: TronSaveSimulator,
    alice: TelegramUser,
    database: Path,
) -> None:
    env = {**_env(tg, tronsave, database), "RECOVERY_WINDOW_SECONDS": "6"}
    bot = launcher.start(env)
    summary = _summary(alice, A1, A2)
    tronsave.add_fault("history", "error500", count=None)  # the history never answers
    tronsave.add_fault("create", "error500")
    before = alice.last_id()
    alice.press(summary, "Confirm")
    told = alice.wait_for(BROKE, after=before, timeout=30)
    assert "don't know yet" in (told.text or "")
    unknown = alice.wait_for("outcome unknown", after=before, timeout=60)
    text = unknown.text or ""
    assert A1 in text
    assert A2 in text
    assert "check your provider account" in text
    assert alice.count("not created after all") == 0
    assert alice.count("order again with /new") == 0
    assert len(sim_orders(tronsave)) == 2  # they do exist: "nothing was created" would lie
    assert query_db(database, "SELECT state FROM submissions") == [("unresolved",)]
    assert bot.terminate() == 0
