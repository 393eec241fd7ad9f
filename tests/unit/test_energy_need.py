"""Energy sized to the transfer: activation, energy on hand, the transfer's need, flags,
suggestion, fallbacks, an unreachable node, 100 receivers within a budget."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.chain.client import TronNodeClient
from bot.chain.errors import ChainBadAnswer
from bot.chain.models import (
    TRANSFER_ENERGY_TO_HOLDER,
    TRANSFER_ENERGY_TO_NON_HOLDER,
    AccountResources,
)
from bot.net.pacing import Pacer
from bot.sandbox.base import derive_address
from bot.sandbox.tron_node import TronNodeSimulator
from bot.services.energy_need import (
    FEEE_MIN_ENERGY,
    TRONSAVE_MIN_ENERGY,
    Check,
    EnergyNeedService,
    NeedBasis,
    NeedFlag,
    NeedRequest,
    TransferNeed,
    intended_transfers,
    size_receiver,
)
from tests.support.fake_chain import FakeChain

RECV = derive_address("need:receiver")
RECV2 = derive_address("need:receiver2")
HOLDER = derive_address("need:payee-holder")
EMPTY = derive_address("need:payee-empty")
GHOST = derive_address("need:ghost")


def request(*receivers: str, amount: int = 65_000, payee: str | None = HOLDER) -> NeedRequest:
    return NeedRequest(
        receivers=receivers, amount=amount, minimum=TRONSAVE_MIN_ENERGY, payee=payee
    )


@pytest.fixture
def chain() -> FakeChain:
    fake = FakeChain()
    fake.add(RECV, usdt=5_000_000)
    fake.add(HOLDER, usdt=1)
    fake.add(EMPTY)
    return fake


# --- the pure sizing ---------------------------------------------------------------------


def test_intended_transfers_round_to_the_nearest_at_least_one() -> None:
    assert intended_transfers(65_000, 64_285) == 1
    assert intended_transfers(130_000, 130_285) == 1
    assert intended_transfers(65_000, 130_285) == 1
    assert intended_transfers(200_000, 64_285) == 3
    assert intended_transfers(1, 64_285) == 1


def test_size_receiver_subtracts_energy_on_hand_and_keeps_the_minimum() -> None:
    need = TransferNeed(64_285, NeedBasis.SIMULATED)
    on_hand = AccountResources(RECV, True, energy_limit=50_000, energy_used=10_000)
    sized = size_receiver(RECV, on_hand, need, amount=65_000, minimum=TRONSAVE_MIN_ENERGY)
    assert sized.available_energy == 40_000
    assert sized.transfers_covered == 1  # (65,000 + 40,000) // 64,285
    # 64,285 - 40,000 = 24,285 missing, but TronSave's minimum is 65,000.
    assert sized.suggested_amount == TRONSAVE_MIN_ENERGY
    feee = size_receiver(RECV, on_hand, need, amount=65_000, minimum=FEEE_MIN_ENERGY)
    assert feee.suggested_amount == FEEE_MIN_ENERGY
    bare = AccountResources(RECV, True)
    exact = size_receiver(RECV, bare, need, amount=65_000, minimum=FEEE_MIN_ENERGY)
    assert exact.suggested_amount == 64_285
    assert exact.flags == frozenset()


def test_flags_cover_none_and_needs_none() -> None:
    need = TransferNeed(130_285, NeedBasis.PAYEE_NON_HOLDER)
    short = size_receiver(RECV, AccountResources(RECV, True), need, amount=65_000, minimum=0)
    assert short.flags == {NeedFlag.COVERS_NONE}
    assert short.transfers_covered == 0
    assert short.suggested_amount == 130_285
    rich = AccountResources(RECV, True, energy_limit=200_000)
    full = size_receiver(RECV, rich, need, amount=65_000, minimum=65_000)
    assert NeedFlag.NEEDS_NONE in full.flags
    assert full.suggested_amount is None
    # Exactly one transfer on hand: it needs none.
    edge = AccountResources(RECV, True, energy_limit=130_285)
    assert NeedFlag.NEEDS_NONE in size_receiver(RECV, edge, need, amount=1, minimum=0).flags


def test_an_explicit_number_of_transfers_sizes_for_them() -> None:
    need = TransferNeed(64_285, NeedBasis.PAYEE_HOLDER)
    sized = size_receiver(
        RECV, AccountResources(RECV, True), need, amount=65_000, minimum=0, transfers=3
    )
    assert sized.suggested_amount == 3 * 64_285


# --- the service with a fake chain --------------------------------------------------------


async def test_simulated_need_from_the_receiver(chain: FakeChain) -> None:
    report = await EnergyNeedService(chain).assess(request(RECV))
    assert report.transfer == TransferNeed(TRANSFER_ENERGY_TO_HOLDER, NeedBasis.SIMULATED)
    (one,) = report.receivers
    assert one.activated is True
    assert one.transfers_covered == 1
    assert report.unchecked == frozenset()
    assert report.reachable


async def test_penalty_is_inside_the_simulated_figure_not_added_again(chain: FakeChain) -> None:
    chain.penalty = 40_000
    report = await EnergyNeedService(chain).assess(request(RECV, payee=EMPTY))
    assert report.transfer.energy == TRANSFER_ENERGY_TO_NON_HOLDER + 40_000
    (one,) = report.receivers
    assert NeedFlag.COVERS_NONE in one.flags
    assert one.suggested_amount == TRANSFER_ENERGY_TO_NON_HOLDER + 40_000


async def test_fallback_to_the_payees_balance_when_no_receiver_can_simulate(
    chain: FakeChain,
) -> None:
    chain.accounts[RECV].usdt = 0  # cannot send: the simulation reverts
    report = await EnergyNeedService(chain).assess(request(RECV, payee=EMPTY))
    assert report.transfer == TransferNeed(
        TRANSFER_ENERGY_TO_NON_HOLDER, NeedBasis.PAYEE_NON_HOLDER
    )
    report = await EnergyNeedService(chain).assess(request(RECV, payee=HOLDER))
    assert report.transfer == TransferNeed(TRANSFER_ENERGY_TO_HOLDER, NeedBasis.PAYEE_HOLDER)


async def test_a_second_receiver_can_simulate_for_the_first(chain: FakeChain) -> None:
    chain.add(RECV2, usdt=1)
    chain.accounts[RECV].usdt = 0
    report = await EnergyNeedService(chain).assess(request(RECV, RECV2))
    assert report.transfer.basis is NeedBasis.SIMULATED
    assert chain.calls["simulate_usdt_transfer"] == 2
    assert chain.calls["usdt_balance"] == 0


async def test_a_refused_simulation_tries_the_next_receiver(chain: FakeChain) -> None:
    chain.add(RECV2, usdt=1)
    chain.errors["simulate_usdt_transfer", RECV] = ChainBadAnswer("NODE_ERROR", "no account")
    report = await EnergyNeedService(chain).assess(request(RECV, RECV2))
    assert report.transfer.basis is NeedBasis.SIMULATED
    assert chain.calls["simulate_usdt_transfer"] == 2


async def test_an_unreachable_simulation_stops_at_the_first_receiver(chain: FakeChain) -> None:
    chain.add(RECV2, usdt=1)
    chain.failing.add("simulate_usdt_transfer")
    report = await EnergyNeedService(chain).assess(request(RECV, RECV2, payee=EMPTY))
    # The balance still answered: the fallback figure.
    assert report.transfer.basis is NeedBasis.PAYEE_NON_HOLDER
    assert chain.calls["simulate_usdt_transfer"] == 1


async def test_without_a_payee_the_holder_figure_is_assumed(chain: FakeChain) -> None:
    report = await EnergyNeedService(chain).assess(request(RECV, payee=None))
    assert report.transfer == TransferNeed(TRANSFER_ENERGY_TO_HOLDER, NeedBasis.ASSUMED_HOLDER)
    assert chain.calls["simulate_usdt_transfer"] == 0


async def test_an_unactivated_receiver_is_flagged(chain: FakeChain) -> None:
    # `{}` from getaccountresource: the account does not exist.
    report = await EnergyNeedService(chain).assess(request(GHOST))
    (one,) = report.receivers
    assert one.activated is False
    assert one.available_energy == 0
    assert NeedFlag.NOT_ACTIVATED in one.flags


async def test_energy_already_there_is_subtracted(chain: FakeChain) -> None:
    chain.accounts[RECV].energy_limit = 100_000
    chain.accounts[RECV].energy_used = 30_000
    report = await EnergyNeedService(chain).assess(request(RECV, amount=130_000))
    (one,) = report.receivers
    assert one.available_energy == 70_000
    assert NeedFlag.NEEDS_NONE in one.flags
    # 130,000 rented reads as two transfers: 2 x 64,285 - 70,000 = 58,570 -> the minimum.
    assert one.suggested_amount == TRONSAVE_MIN_ENERGY
    assert one.transfers_covered == 3


async def test_an_unreachable_node_leaves_everything_unknown(chain: FakeChain) -> None:
    chain.down = True
    report = await EnergyNeedService(chain).assess(request(RECV, RECV2))
    assert report.transfer == TransferNeed(None, NeedBasis.UNKNOWN)
    assert report.unchecked == {Check.ACTIVATION, Check.ENERGY, Check.TRANSFER_NEED}
    assert not report.reachable
    assert report.suggested_amount is None
    for one in report.receivers:
        assert one.activated is None
        assert one.flags == frozenset()
        assert one.failure == "CONNECT_ERROR"


async def test_unreachable_without_a_payee_is_not_reachable(chain: FakeChain) -> None:
    chain.down = True
    report = await EnergyNeedService(chain).assess(request(RECV, payee=None))
    assert not report.reachable
    assert report.unchecked == {Check.ACTIVATION, Check.ENERGY}


async def test_one_failing_receiver_does_not_hide_the_others(chain: FakeChain) -> None:
    chain.add(RECV2)
    chain.failing_addresses.add(RECV2)
    report = await EnergyNeedService(chain).assess(request(RECV, RECV2))
    first, second = report.receivers
    assert first.activated is True
    assert second.activated is None
    assert report.unchecked == {Check.ACTIVATION, Check.ENERGY}
    assert report.reachable


async def test_suggested_amount_covers_every_receiver(chain: FakeChain) -> None:
    chain.add(RECV2, energy_limit=64_285 - 10_000)
    report = await EnergyNeedService(chain).assess(
        NeedRequest(receivers=(RECV, RECV2), amount=10_000, minimum=FEEE_MIN_ENERGY, payee=HOLDER)
    )
    assert [r.suggested_amount for r in report.receivers] == [64_285, FEEE_MIN_ENERGY]
    assert report.suggested_amount == 64_285


async def test_duplicate_receivers_are_checked_once(chain: FakeChain) -> None:
    report = await EnergyNeedService(chain).assess(request(RECV, RECV))
    assert len(report.receivers) == 1
    assert chain.calls["account_resources"] == 1


async def test_bad_input_is_refused_before_any_call(chain: FakeChain) -> None:
    with pytest.raises(ValueError, match="not TRON addresses"):
        await EnergyNeedService(chain).assess(request("Tnot-an-address"))
    with pytest.raises(ValueError, match="amount"):
        await EnergyNeedService(chain).assess(request(RECV, amount=0))
    with pytest.raises(ValueError, match="transfers"):
        await EnergyNeedService(chain).assess(
            NeedRequest(receivers=(RECV,), amount=1, minimum=0, transfers=0)
        )
    assert sum(chain.calls.values()) == 0


async def test_100_receivers_with_bounded_concurrency(chain: FakeChain) -> None:
    receivers = [derive_address(f"need:many:{i}") for i in range(100)]
    for address in receivers:
        chain.add(address, usdt=1)
    chain.delay = 0.005
    service = EnergyNeedService(chain, concurrency=4, budget_seconds=5)
    report = await service.assess(request(*receivers))
    assert len(report.receivers) == 100
    assert all(r.activated for r in report.receivers)
    assert report.unchecked == frozenset()
    # 4 readers plus the one simulation, never more.
    assert chain.max_in_flight <= 5
    assert chain.calls["account_resources"] == 100
    assert chain.calls["simulate_usdt_transfer"] == 1


async def test_the_time_budget_cuts_a_slow_node_and_says_what_was_not_checked(
    chain: FakeChain,
) -> None:
    receivers = [derive_address(f"need:slow:{i}") for i in range(100)]
    for address in receivers:
        chain.add(address, usdt=1)
    chain.delay = 0.05
    service = EnergyNeedService(chain, concurrency=2, budget_seconds=0.3)
    started = time.monotonic()
    report = await service.assess(request(*receivers))
    assert time.monotonic() - started < 1.5
    checked = [r for r in report.receivers if r.activated is not None]
    cut = [r for r in report.receivers if r.activated is None]
    assert checked
    assert cut
    assert all(r.failure == "BUDGET" for r in cut)
    assert Check.ENERGY in report.unchecked
    assert report.transfer.basis is NeedBasis.SIMULATED


async def test_a_budget_spent_on_the_simulation_is_unknown(chain: FakeChain) -> None:
    chain.delay = 0.5
    report = await EnergyNeedService(chain, budget_seconds=0.05).assess(request(RECV))
    assert report.transfer.basis is NeedBasis.UNKNOWN
    assert report.receivers[0].failure == "BUDGET"


async def test_an_unexpected_error_leaves_no_reading_running(chain: FakeChain) -> None:
    receivers = [derive_address(f"need:bug:{i}") for i in range(10)]
    chain.delay = 0.05

    async def broken(sender: str, payee: str, amount: int = 1) -> int | None:
        raise RuntimeError("a bug, not a chain failure")

    chain.simulate_usdt_transfer = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="a bug"):
        await EnergyNeedService(chain, concurrency=2).assess(request(*receivers))
    assert chain.in_flight == 0
    await asyncio.sleep(0.1)
    assert chain.calls["account_resources"] <= 2  # the rest never started


def test_concurrency_must_be_positive(chain: FakeChain) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        EnergyNeedService(chain, concurrency=0)


# --- against the node simulator over 127.0.0.1 --------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0) as simulator:
        yield simulator


@pytest.fixture
async def node(server: TronNodeSimulator) -> AsyncIterator[TronNodeClient]:
    server.reset()
    client = TronNodeClient(
        pacer=Pacer(0.0, hold=False), base_url=server.base_url, timeout=5, backoff=lambda a: 0.01
    )
    async with client:
        yield client


async def test_against_the_simulator(server: TronNodeSimulator, node: TronNodeClient) -> None:
    server.configure(energy_penalty=5_000)
    server.set_account(RECV, usdt=2_000_000, energy_limit=20_000)
    server.set_account(EMPTY)
    report = await EnergyNeedService(node).assess(
        NeedRequest(receivers=(RECV, GHOST), amount=65_000, minimum=65_000, payee=EMPTY)
    )
    assert report.transfer == TransferNeed(
        TRANSFER_ENERGY_TO_NON_HOLDER + 5_000, NeedBasis.SIMULATED
    )
    sized, ghost = report.receivers
    assert sized.available_energy == 20_000
    assert NeedFlag.COVERS_NONE in sized.flags
    assert sized.suggested_amount == TRANSFER_ENERGY_TO_NON_HOLDER + 5_000 - 20_000
    assert ghost.activated is False
    assert NeedFlag.NOT_ACTIVATED in ghost.flags


def test_the_transfers_sized_for_are_reported() -> None:
    need = TransferNeed(64_285, NeedBasis.SIMULATED)
    bare = AccountResources(RECV, True)
    assert size_receiver(RECV, bare, need, amount=200_000, minimum=0).transfers == 3
    assert (
        size_receiver(
            RECV, None, TransferNeed(None, NeedBasis.UNKNOWN), amount=1, minimum=0
        ).transfers
        is None
    )


async def test_100_receivers_at_the_nodes_pace(server: TronNodeSimulator) -> None:
    # The node admits 50 requests/s per client; the shared pacer keeps the client at 40,
    # however many receivers run at once: every answer arrives, none is a 429.
    server.reset()
    server.configure(rate_limit_rps=50)
    receivers = [derive_address(f"need:paced:{i}") for i in range(100)]
    for address in receivers:
        server.set_account(address, usdt=1)
    server.set_account(HOLDER, usdt=1)
    client = TronNodeClient(
        pacer=Pacer(1 / 40, hold=False), base_url=server.base_url, timeout=5, max_retries=0
    )
    async with client:
        service = EnergyNeedService(client, concurrency=8, budget_seconds=10)
        report = await service.assess(request(*receivers))
    assert report.unchecked == frozenset()
    assert all(r.activated for r in report.receivers)
    log = server.request_log()
    assert log["rate_limited"] == 0
    assert log["total"] == 101  # one reading each and one simulation


def test_energy_not_read_counts_as_none() -> None:
    need = TransferNeed(64_285, NeedBasis.SIMULATED)
    sized = size_receiver(RECV, None, need, amount=32_000, minimum=FEEE_MIN_ENERGY)
    assert sized.activated is None
    assert sized.flags == {NeedFlag.COVERS_NONE}
    assert sized.suggested_amount == 64_285
