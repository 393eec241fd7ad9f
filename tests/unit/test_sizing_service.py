"""Sizing for the summary within a short budget: chain reads off, a node that fails in
part or is slow, and the burn price read beside the need."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.domain import OrderState, PlacedOrder, ProviderName
from bot.sandbox.base import derive_address
from bot.services.energy_need import EnergyNeedService, NeedBasis
from bot.services.savings import SavingsService
from bot.services.sizing import SizingService
from bot.storage.repository import Order, Repository, Transition
from tests.support.fake_chain import FakeChain

RECV = derive_address("sizing:receiver")
RECV2 = derive_address("sizing:receiver2")
PAYEE = derive_address("sizing:payee")


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    return Repository.at(tmp_path / "bot.sqlite3")


def service(chain: FakeChain | None, repo: Repository) -> SizingService:
    if chain is None:
        return SizingService(None, repo)
    return SizingService(chain, repo, need=EnergyNeedService(chain), savings=SavingsService(chain))


async def test_without_chain_reads_nothing_is_asked(repo: Repository) -> None:
    sizing = await service(None, repo).size([RECV], 65_000, PAYEE)
    assert not sizing.enabled
    assert sizing.report is None
    assert not service(None, repo).enabled


async def test_the_need_and_the_burn_price_are_read(repo: Repository) -> None:
    chain = FakeChain(fee=210)
    chain.add(RECV, usdt=10, energy_limit=1_000)
    chain.add(PAYEE, usdt=5)
    sizing = await service(chain, repo).size([RECV], 65_000, PAYEE)
    assert sizing.reachable
    assert sizing.energy_fee == 210
    assert sizing.report is not None
    assert sizing.report.transfer.basis is NeedBasis.SIMULATED
    # The raw need (64,285 - 1,000): the provider's minimum is applied once it is chosen.
    assert sizing.report.suggested_amount == 63_285
    assert sizing.suggested_amount(65_000) == 65_000
    figures = sizing.expected(3_900_000)
    assert figures is not None
    assert figures.burn_sun == 63_285 * 210


async def test_a_failing_burn_price_leaves_the_need(repo: Repository) -> None:
    chain = FakeChain(failing={"energy_fee"})
    chain.add(RECV, usdt=10)
    sizing = await service(chain, repo).size([RECV], 65_000, None)
    assert sizing.energy_fee is None
    assert sizing.report is not None
    assert sizing.report.receivers[0].available_energy == 0
    assert sizing.expected(3_900_000) is None


async def test_a_node_that_is_down_is_reported_unreachable(repo: Repository) -> None:
    sizing = await service(FakeChain(down=True), repo).size([RECV, RECV2], 65_000, PAYEE)
    assert sizing.enabled
    assert not sizing.reachable


async def test_a_slow_node_does_not_hold_the_summary_past_its_budget(repo: Repository) -> None:
    chain = FakeChain(delay=5.0)
    chain.add(RECV, usdt=10)
    started = time.monotonic()
    sizing = await service(chain, repo).size([RECV], 65_000, PAYEE, budget=0.2)
    assert time.monotonic() - started < 1.0
    assert sizing.energy_fee is None
    assert sizing.report is not None
    assert sizing.report.receivers[0].failure == "BUDGET"
    assert not sizing.reachable
    await asyncio.sleep(0)


async def test_a_bad_address_is_not_sized(repo: Repository) -> None:
    sizing = await service(FakeChain(), repo).size(["nonsense"], 65_000, None)
    assert sizing.enabled
    assert sizing.report is None


async def _matched(repo: Repository, chat_id: int, receiver: str, pid: str) -> Order:
    sub = await repo.create_submission(
        chat_id=chat_id,
        user_id=chat_id,
        provider=ProviderName.TRONSAVE,
        key_id="k",
        amount=65_000,
        duration_sec=900,
        max_price=70,
        deadline_sec=300,
        receivers=(receiver,),
        now=100.0,
    )
    new = PlacedOrder(
        provider_order_id=pid,
        receiver=receiver,
        amount=65_000,
        duration_sec=900,
        state=OrderState.PENDING,
        raw_status="pending",
    )
    (order,) = await repo.record_orders(sub, [new], now=101.0)
    await repo.apply([Transition(order, OrderState.MATCHED, "matched")], now=102.0)
    return order


async def test_before_a_confirm_the_energy_left_is_read_for_this_chats_matched_orders(
    tmp_path: Path,
) -> None:
    repo = await Repository.open(tmp_path / "confirm.sqlite3")
    try:
        chain = FakeChain(fee=100)
        chain.add(RECV, energy_limit=65_000, energy_used=64_285)
        chain.add(RECV2, energy_limit=65_000)
        mine = await _matched(repo, 10, RECV, "p1")
        theirs = await _matched(repo, 11, RECV2, "p2")
        sizing = service(chain, repo)
        snapshot = await sizing.before_confirm(chat_id=10, order_ids=[mine.id, theirs.id])
        assert snapshot.energy_fee == 100
        assert dict(snapshot.energy_left) == {RECV: 715}  # the other chat's is not read
        assert snapshot.energy_used(mine) == 64_285
        by_submission = await sizing.before_confirm(chat_id=10, submission_id=mine.submission_id)
        assert dict(by_submission.energy_left) == {RECV: 715}
        # A node that is down: nothing known, and no error.
        down = await service(FakeChain(down=True), repo).before_confirm(
            chat_id=10, order_ids=[mine.id]
        )
        assert down.energy_fee is None
        assert down.energy_used(mine) is None
        assert (
            await service(None, repo).before_confirm(chat_id=10, order_ids=[1])
        ).energy_fee is None
    finally:
        await repo.close()
