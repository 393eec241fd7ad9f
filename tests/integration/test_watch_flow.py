"""Watched addresses through a real PTB Application: /watch, /unwatch, /watches and
/autorent as a user types them, the check job reading the TRON node simulator, and its
pushes delivered by the outbox; auto-rent places its order at the TronSave simulator
through the normal submit path."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.domain import OrderState
from bot.sandbox.base import derive_address
from bot.sandbox.tron_node import TronNodeSimulator
from bot.sandbox.tronsave import TronSaveSimulator
from bot.telegram.watch_job import WATCH_JOB, run_check
from tests.integration.harness import ALICE, MALLORY, TS_KEY, Bot, make_settings, running_bot
from tests.integration.linked import linked_settings
from tests.support.fake_bot_api import buttons
from tests.support.simulators import sim_orders

ADDR = derive_address("watch-flow:one")
ADDR2 = derive_address("watch-flow:two")
ADDR3 = derive_address("watch-flow:three")
TRX = 1_000_000


@pytest.fixture
def node() -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0) as sim:
        sim.set_account(ADDR, energy_limit=100_000)
        sim.set_account(ADDR2, energy_limit=100_000)
        yield sim


@pytest.fixture
def tronsave() -> Iterator[TronSaveSimulator]:
    with TronSaveSimulator(
        api_key=TS_KEY, rate_interval=0.0, unit_price=60, balance=1_000 * TRX
    ) as sim:
        yield sim


def settings_for(
    tmp_path: Path, node: TronNodeSimulator, tronsave: TronSaveSimulator, **extra: Any
) -> Settings:
    return linked_settings(
        tmp_path, tronsave, node, tron_timeout_seconds=2, watch_interval_seconds=3600, **extra
    )


@pytest.fixture
async def bot(
    tmp_path: Path, node: TronNodeSimulator, tronsave: TronSaveSimulator
) -> AsyncIterator[Bot]:
    async with running_bot(settings_for(tmp_path, node, tronsave, watch_max_per_user=2)) as b:
        yield b


async def check(bot: Bot) -> None:
    """One run of the watch job's check, then the outbox drained."""
    assert bot.rt.watcher is not None
    await run_check(bot.rt.watcher)
    await bot.settle()


def low(node: TronNodeSimulator, address: str = ADDR, used: int = 60_000) -> None:
    node.set_account(address, energy_used=used)  # 40,000 of 100,000 left


async def test_watch_list_and_unwatch_with_a_button(bot: Bot) -> None:
    await bot.say(f"/watch {ADDR} 70000")
    assert "Watching" in bot.texts()[-1]
    await bot.say("/watches")
    listed = bot.texts()[-1]
    assert ADDR in listed
    assert "70,000" in listed
    assert "auto-rent off" in listed
    await bot.say("/watch")  # no argument: the list too
    assert ADDR in bot.texts()[-1]
    await bot.say(f"/watch {ADDR} 80k")  # the same address again: its threshold changes
    assert "80,000" in bot.texts()[-1]
    assert len(await bot.rt.repo.watches_of(ALICE, ALICE)) == 1

    await bot.say("/unwatch")
    picker = bot.last()
    assert "Which address" in (picker.text or "")
    await bot.press(picker, "Unwatch")
    assert f"Stopped watching <code>{ADDR}</code>" in bot.texts()[-1]
    await bot.say("/watches")
    assert "You watch no address" in bot.texts()[-1]


async def test_unwatch_by_address_and_one_not_watched(bot: Bot) -> None:
    await bot.say(f"/watch {ADDR}")
    await bot.say(f"/unwatch {ADDR2}")
    assert "don't watch" in bot.texts()[-1]
    await bot.say(f"/unwatch {ADDR}")
    assert "Stopped watching" in bot.texts()[-1]
    assert await bot.rt.repo.watches_of(ALICE, ALICE) == []


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("/watch TNotAnAddress", "is not a TRON address"),
        (f"/watch {ADDR} lots", "must be a whole number"),
        (f"/watch {ADDR} 0", "must be a whole number"),
        (f"/watch {ADDR} 65000 extra", "Usage: /watch"),
    ],
)
async def test_bad_watch_input_says_so_and_changes_nothing(
    bot: Bot, command: str, says: str
) -> None:
    await bot.say(command)
    assert says in bot.texts()[-1]
    assert await bot.rt.repo.watches_of(ALICE, ALICE) == []


async def test_too_many_watches_refused(bot: Bot) -> None:
    await bot.say(f"/watch {ADDR}")
    await bot.say(f"/watch {ADDR2}")
    await bot.say(f"/watch {ADDR3}")
    assert "already watch 2 addresses" in bot.texts()[-1]
    assert [w.address for w in await bot.rt.repo.watches_of(ALICE, ALICE)] == [ADDR, ADDR2]


async def test_chinese_messages(bot: Bot, node: TronNodeSimulator) -> None:
    await bot.say(f"/watch {ADDR}", lang="zh")
    assert "正在监控" in bot.texts()[-1]
    await bot.say("/watch bad", lang="zh")
    assert "不是 TRON 地址" in bot.texts()[-1]
    low(node)
    await check(bot)
    assert "能量不足" in bot.texts()[-1]  # the push, in the language of the watch's user


async def test_alert_once_not_repeatedly_and_recovered_once(
    bot: Bot, node: TronNodeSimulator
) -> None:
    await bot.say(f"/watch {ADDR} 65000")
    before = len(bot.texts())
    await check(bot)
    assert len(bot.texts()) == before  # 100,000 available: nothing to say
    low(node)
    for _ in range(3):
        await check(bot)
    pushes = bot.texts()[before:]
    assert len(pushes) == 1
    assert "Low energy" in pushes[0]
    assert "40,000" in pushes[0]
    node.set_account(ADDR, energy_used=0)
    for _ in range(3):
        await check(bot)
    pushes = bot.texts()[before:]
    assert len(pushes) == 2
    assert "Energy back" in pushes[1]


async def test_node_unreachable_no_false_alert(bot: Bot, node: TronNodeSimulator) -> None:
    await bot.say(f"/watch {ADDR} 65000")
    await check(bot)
    before = len(bot.texts())
    node.add_fault("*", "error500", count=None)
    await check(bot)
    await check(bot)
    assert len(bot.texts()) == before  # no reading: no alert, and no crash
    node.clear_faults()
    low(node)
    await check(bot)
    assert "Low energy" in bot.texts()[-1]


async def test_not_allowed_user_refused(bot: Bot) -> None:
    await bot.say(f"/watch {ADDR}", user=MALLORY)
    assert "not allowed" in bot.texts(MALLORY)[-1]
    await bot.say(f"/autorent {ADDR} auto 1h 70 20 2", user=MALLORY)
    assert "not allowed" in bot.texts(MALLORY)[-1]
    assert await bot.rt.repo.watches_of(MALLORY, MALLORY) == []


async def autorent(bot: Bot, args: str = "auto 1h 70 20 2") -> None:
    await bot.say(f"/watch {ADDR} 65000")
    await bot.say(f"/autorent {ADDR} {args}")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ("auto 1h 70", "Usage: /autorent"),  # the budgets are required
        ("auto 1h 70 0 2", "TRX per day must be more than 0"),
        ("auto 1h 70 20 0", "orders per day must be a whole number"),
        ("auto 1h 70 unlimited 2", "TRX per day must be more than 0"),
        ("lots 1h 70 20 2", "amount"),
        ("auto soon 70 20 2", "duration"),
        ("auto 1h 70 1 2", "more than the daily budget"),  # 65,000 x 70 SUN = 4.55 TRX
        ("auto 1h 70 20 2 nobody", "Unknown provider"),
    ],
)
async def test_bad_autorent_input_says_so_and_changes_nothing(
    bot: Bot, args: str, says: str
) -> None:
    await autorent(bot, args)
    assert says in bot.texts()[-1]
    [row] = await bot.rt.repo.watches_of(ALICE, ALICE)
    assert row.plan is None


async def test_autorent_needs_a_watch_first(bot: Bot) -> None:
    await bot.say(f"/autorent {ADDR} auto 1h 70 20 2")
    assert "/watch it first" in bot.texts()[-1]


async def test_autorent_setup_and_the_stop_button(bot: Bot) -> None:
    await autorent(bot)
    reply = bot.last()
    assert "Auto-rent on" in (reply.text or "")
    assert "20 TRX and 2 orders per day" in (reply.text or "")
    await bot.say("/watches")
    assert "auto-rent: auto energy, 1 h" in bot.texts()[-1]
    await bot.press(reply, "Stop auto-rent")
    assert "Auto-rent off" in bot.texts()[-1]
    [row] = await bot.rt.repo.watches_of(ALICE, ALICE)
    assert row.plan is None
    # Another user cannot press it (the button is the owner's).
    await autorent(bot)
    await bot.press(bot.last(), "Stop auto-rent", user=MALLORY)
    [row] = await bot.rt.repo.watches_of(ALICE, ALICE)
    assert row.plan is not None


async def test_autorent_off_by_command(bot: Bot) -> None:
    await autorent(bot)
    await bot.say(f"/autorent {ADDR} off")
    assert "Auto-rent off" in bot.texts()[-1]
    [row] = await bot.rt.repo.watches_of(ALICE, ALICE)
    assert row.plan is None


async def test_autorent_places_one_order_and_the_push_has_stop(
    bot: Bot, node: TronNodeSimulator, tronsave: TronSaveSimulator
) -> None:
    await autorent(bot)
    low(node)
    await check(bot)
    [order] = sim_orders(tronsave)
    assert order["receiver"] == ADDR
    texts = bot.texts()
    assert "Low energy" in texts[-2]
    assert "Ordered 65,000 energy" in texts[-1]
    push = bot.last()
    assert any("Stop auto-rent" in b["text"] for b in buttons(push))
    await check(bot)
    await check(bot)
    assert len(sim_orders(tronsave)) == 1  # its order is open: no second one
    await bot.press(push, "Stop auto-rent")
    assert "Auto-rent off" in bot.texts()[-1]


async def test_autorent_stops_at_the_budget_and_says_so_once(
    bot: Bot, node: TronNodeSimulator, tronsave: TronSaveSimulator
) -> None:
    await autorent(bot, "65000 1h 70 5 3")  # 4.55 TRX per order, 5 TRX a day
    low(node)
    await check(bot)
    assert len(sim_orders(tronsave)) == 1
    orders, _ = await bot.rt.orders.chat_orders(ALICE, page=0, page_size=10)
    [report] = await bot.rt.orders.cancel(chat_id=ALICE, order_ids=[orders[0].id])
    assert report.order.state is OrderState.CANCELLED  # none open now; it still counts
    for _ in range(3):
        await check(bot)
    assert len(sim_orders(tronsave)) == 1
    stopped = [t for t in bot.texts() if "Auto-rent stopped" in t]
    assert len(stopped) == 1
    assert "budget of 5 TRX is spent" in stopped[0]


async def test_a_spend_limit_refusal_is_said_once(
    tmp_path: Path, node: TronNodeSimulator, tronsave: TronSaveSimulator
) -> None:
    settings = settings_for(tmp_path, node, tronsave, max_order_trx=Decimal("1"))
    async with running_bot(settings) as bot:
        await autorent(bot)
        low(node)
        for _ in range(2):
            await check(bot)
        assert sim_orders(tronsave) == []
        stopped = [t for t in bot.texts() if "Auto-rent stopped" in t]
        assert len(stopped) == 1
        assert "spend limit" in stopped[0]


async def test_the_job_is_scheduled_only_with_chain_reads(
    bot: Bot, tmp_path: Path, tronsave: TronSaveSimulator
) -> None:
    assert bot.app.job_queue is not None
    assert len(bot.app.job_queue.get_jobs_by_name(WATCH_JOB)) == 1
    off = make_settings(
        tmp_path / "off", tronsave_api_key=TS_KEY, tronsave_base_url=tronsave.base_url
    )
    async with running_bot(off) as plain:
        assert plain.rt.watcher is None
        assert plain.app.job_queue is not None
        assert plain.app.job_queue.get_jobs_by_name(WATCH_JOB) == ()
        await plain.say(f"/watch {ADDR}")
        assert "not checked here" in plain.texts()[-1]
        assert await plain.rt.repo.watches_of(ALICE, ALICE) == []


async def test_an_empty_provider_balance_stops_spending_and_says_so_once(
    bot: Bot, node: TronNodeSimulator, tronsave: TronSaveSimulator
) -> None:
    tronsave.configure(balance=TRX)  # less than one order at its max price (4.55 TRX)
    await autorent(bot)
    low(node)
    for _ in range(3):
        await check(bot)
    assert sim_orders(tronsave) == []
    stopped = [t for t in bot.texts() if "Auto-rent stopped" in t]
    assert len(stopped) == 1
    assert "balance cannot pay" in stopped[0]
    assert any("Stop auto-rent" in b["text"] for b in buttons(bot.last()))


async def test_an_unknown_outcome_counts_as_placed_and_is_not_sent_again(
    bot: Bot, node: TronNodeSimulator, tronsave: TronSaveSimulator
) -> None:
    await autorent(bot)
    low(node)
    # The create request makes its order but its answer is lost, and the history does
    # not list it yet: the outcome stays unknown.
    tronsave.configure(history_delay=600.0)
    tronsave.add_fault("create", "error500")
    await check(bot)
    assert len(sim_orders(tronsave)) == 1
    unknown = [t for t in bot.texts() if "outcome is not known" in t]
    assert len(unknown) == 1
    for _ in range(3):
        await check(bot)
    assert len(sim_orders(tronsave)) == 1  # never retried blindly
    [row] = await bot.rt.repo.watches_of(ALICE, ALICE)
    assert '"orders":1' in (row.ledger or "")
