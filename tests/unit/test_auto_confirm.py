"""Automatic confirmation once the rented energy is used, and rentals ending soon."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field

import pytest

from bot.chain.client import TronNodeClient
from bot.chain.models import TRANSFER_ENERGY_TO_HOLDER, AccountResources, Trc20Transfer
from bot.net.pacing import Pacer
from bot.sandbox.base import derive_address
from bot.sandbox.tron_node import TronNodeSimulator
from bot.services.auto_confirm import (
    AutoConfirmService,
    ConfirmCandidate,
    RentalEnd,
    RentalEndingService,
    Verdict,
    decide,
    ending_soon,
)
from bot.services.energy_need import EnergyNeedService, NeedRequest
from bot.services.savings import SavingsService
from tests.support.fake_chain import FakeChain

RECV = derive_address("confirm:receiver")
PAYEE = derive_address("confirm:payee")
OTHER = derive_address("confirm:other")
T0 = 1_800_000_000.0  # the match


def candidate(
    order_id: int = 1,
    *,
    receiver: str = RECV,
    amount: int = 65_000,
    ends_at: float | None = T0 + 3_600,
    next_energy: int = TRANSFER_ENERGY_TO_HOLDER,
) -> ConfirmCandidate:
    return ConfirmCandidate(order_id, 100 + order_id, receiver, amount, T0, ends_at, next_energy)


def transfer(at: float, sender: str = RECV) -> Trc20Transfer:
    return Trc20Transfer(f"tx{at}", int(at * 1000), sender, PAYEE, 1, "usdt")


def energy(available: int) -> AccountResources:
    return AccountResources(RECV, True, energy_limit=available)


# --- the pure decision -------------------------------------------------------------


def test_never_before_the_first_transfer() -> None:
    # Energy gone (recovered usage, another spender...) but no transfer: no confirm.
    decision = decide(candidate(), [], energy(0), T0 + 60)
    assert decision.verdict is Verdict.WAIT_FIRST_TRANSFER


def test_a_transfer_before_the_delegation_is_ignored() -> None:
    before = decide(candidate(), [transfer(T0 - 1)], energy(0), T0 + 60)
    assert before.verdict is Verdict.WAIT_FIRST_TRANSFER
    at_match = decide(candidate(), [transfer(T0)], energy(0), T0 + 60)
    assert at_match.verdict is Verdict.CONFIRM


def test_a_transfer_by_someone_else_is_ignored() -> None:
    decision = decide(candidate(), [transfer(T0 + 5, sender=OTHER)], energy(0), T0 + 60)
    assert decision.verdict is Verdict.WAIT_FIRST_TRANSFER


def test_used_and_nothing_left_for_another_confirms() -> None:
    decision = decide(candidate(), [transfer(T0 + 5)], energy(715), T0 + 60)
    assert decision.verdict is Verdict.CONFIRM
    assert decision.transfers_seen == 1
    assert decision.energy_left == 715
    assert decision.rental_energy_used == 65_000 - 715


def test_a_second_transfer_still_possible_keeps_the_rental() -> None:
    big = candidate(amount=130_000)
    one = decide(big, [transfer(T0 + 5)], energy(130_000 - 64_285), T0 + 60)
    assert one.verdict is Verdict.COVERS_ANOTHER
    # Exactly one more transfer's worth left: still covers it.
    edge = decide(big, [transfer(T0 + 5)], energy(TRANSFER_ENERGY_TO_HOLDER), T0 + 60)
    assert edge.verdict is Verdict.COVERS_ANOTHER
    short = decide(big, [transfer(T0 + 5)], energy(TRANSFER_ENERGY_TO_HOLDER - 1), T0 + 60)
    assert short.verdict is Verdict.CONFIRM


def test_the_payees_figure_decides_what_another_transfer_needs() -> None:
    to_empty = candidate(amount=200_000, next_energy=130_285)
    decision = decide(to_empty, [transfer(T0 + 5)], energy(69_715), T0 + 60)
    assert decision.verdict is Verdict.CONFIRM


def test_an_ended_rental_is_not_confirmed() -> None:
    decision = decide(candidate(ends_at=T0 + 100), [transfer(T0 + 5)], energy(0), T0 + 100)
    assert decision.verdict is Verdict.RENTAL_ENDED


def test_unknown_readings_decide_nothing() -> None:
    assert decide(candidate(), None, None, T0 + 1).verdict is Verdict.UNKNOWN
    unknown = decide(candidate(), [transfer(T0 + 5)], None, T0 + 60)
    assert unknown.verdict is Verdict.UNKNOWN
    assert unknown.rental_energy_used is None


def test_an_account_that_vanished_has_no_energy_left() -> None:
    gone = AccountResources(RECV, exists=False)
    assert decide(candidate(), [transfer(T0 + 5)], gone, T0 + 60).verdict is Verdict.CONFIRM


# --- the service ----------------------------------------------------------------------


@dataclass
class Store:
    candidates: list[ConfirmCandidate] = field(default_factory=list)

    async def auto_confirm_candidates(self) -> Sequence[ConfirmCandidate]:
        return list(self.candidates)


@pytest.fixture
def chain() -> FakeChain:
    fake = FakeChain()
    fake.add(RECV, energy_limit=65_000, usdt=10)
    return fake


async def test_the_service_returns_the_orders_to_confirm(chain: FakeChain) -> None:
    store = Store([candidate()])
    service = AutoConfirmService(chain, store, clock=lambda: T0 + 60)
    assert await service.due() == []
    # No transfer yet: the energy is not even read.
    assert chain.calls["account_resources"] == 0
    chain.send(RECV, PAYEE, T0 + 30, energy=64_285)
    (due,) = await service.due()
    assert due.candidate.order_id == 1
    assert due.energy_left == 715


async def test_several_transfers_keep_the_rental_until_the_last(chain: FakeChain) -> None:
    chain.accounts[RECV].energy_limit = 200_000
    store = Store([candidate(amount=200_000)])
    service = AutoConfirmService(chain, store, clock=lambda: T0 + 600)
    chain.send(RECV, PAYEE, T0 + 10, energy=64_285)
    chain.send(RECV, PAYEE, T0 + 20, energy=64_285)
    (decision,) = await service.cycle()
    assert decision.verdict is Verdict.COVERS_ANOTHER
    assert decision.transfers_seen == 2
    chain.send(RECV, PAYEE, T0 + 30, energy=64_285)
    (decision,) = await service.cycle()
    assert decision.verdict is Verdict.CONFIRM


async def test_an_unreachable_node_confirms_nothing(chain: FakeChain) -> None:
    chain.send(RECV, PAYEE, T0 + 10, energy=64_285)
    chain.down = True
    service = AutoConfirmService(chain, Store([candidate()]), clock=lambda: T0 + 60)
    (decision,) = await service.cycle()
    assert decision.verdict is Verdict.UNKNOWN
    chain.down = False
    chain.failing.add("account_resources")
    (decision,) = await service.cycle()
    assert decision.verdict is Verdict.UNKNOWN
    assert decision.transfers_seen == 1  # the history was read, the energy not


async def test_a_stored_receiver_that_is_not_an_address_stops_nothing(chain: FakeChain) -> None:
    chain.send(RECV, PAYEE, T0 + 10, energy=64_285)
    store = Store([candidate(1, receiver="Tgarbage"), candidate(2)])
    decisions = await AutoConfirmService(chain, store, clock=lambda: T0 + 60).cycle()
    assert [d.verdict for d in decisions] == [Verdict.UNKNOWN, Verdict.CONFIRM]


async def test_an_ended_rental_is_not_asked_about(chain: FakeChain) -> None:
    service = AutoConfirmService(chain, Store([candidate(ends_at=T0)]), clock=lambda: T0 + 1)
    (decision,) = await service.cycle()
    assert decision.verdict is Verdict.RENTAL_ENDED
    assert sum(chain.calls.values()) == 0


async def test_orders_are_checked_in_turn_within_the_per_cycle_limit(chain: FakeChain) -> None:
    store = Store([candidate(i) for i in (5, 1, 3, 2, 4)])
    service = AutoConfirmService(chain, store, orders_per_cycle=2, clock=lambda: T0 + 60)
    seen = [[d.candidate.order_id for d in await service.cycle()] for _ in range(3)]
    assert seen == [[1, 2], [3, 4], [5, 1]]


async def test_the_time_budget_leaves_the_rest_for_next_cycle(chain: FakeChain) -> None:
    chain.delay = 0.03  # within each call's share of the budget (0.04 s)
    store = Store([candidate(i) for i in range(1, 11)])
    service = AutoConfirmService(chain, store, budget_seconds=0.12, clock=lambda: T0 + 60)
    first = [d.candidate.order_id for d in await service.cycle()]
    assert 1 <= len(first) < 10
    second = [d.candidate.order_id for d in await service.cycle()]
    assert second[0] == first[-1] + 1


async def test_the_history_is_asked_from_the_match(chain: FakeChain) -> None:
    seen: list[int] = []
    original = chain.outgoing_usdt_transfers

    async def spy(address: str, since_ms: int, *, max_pages: int = 5) -> list[Trc20Transfer]:
        seen.append(since_ms)
        return await original(address, since_ms, max_pages=max_pages)

    chain.outgoing_usdt_transfers = spy  # type: ignore[method-assign]
    await AutoConfirmService(chain, Store([candidate()]), clock=lambda: T0 + 60).cycle()
    assert seen == [int(T0 * 1000)]


def test_orders_per_cycle_must_be_positive(chain: FakeChain) -> None:
    with pytest.raises(ValueError, match="orders_per_cycle"):
        AutoConfirmService(chain, Store(), orders_per_cycle=0, clock=lambda: T0)


# --- rental ending soon --------------------------------------------------------------


@dataclass
class EndingStore:
    rentals: list[RentalEnd]
    reported: set[int] = field(default_factory=set)
    asked_until: list[float] = field(default_factory=list)

    async def matched_rentals_ending_before(self, until: float) -> Sequence[RentalEnd]:
        self.asked_until.append(until)
        return [r for r in self.rentals if r.ends_at <= until]

    async def report_endings(self, rentals: Sequence[RentalEnd], now: float) -> list[RentalEnd]:
        fresh = [r for r in rentals if r.order_id not in self.reported]
        self.reported.update(r.order_id for r in fresh)
        return fresh


def test_ending_soon_selects_within_the_lead_time() -> None:
    rentals = [RentalEnd(1, 1, T0 + 100), RentalEnd(2, 1, T0 + 900), RentalEnd(3, 1, T0)]
    assert [r.order_id for r in ending_soon(rentals, T0, 600)] == [1]
    assert [r.order_id for r in ending_soon(rentals, T0, 900)] == [1, 2]  # at the edge


def test_a_rental_shorter_than_the_lead_time_is_told_at_half_time() -> None:
    short = RentalEnd(1, 1, T0 + 600, duration_sec=600)  # started at T0
    assert ending_soon([short], T0 + 1, 900) == []  # not the moment it starts
    assert ending_soon([short], T0 + 299, 900) == []
    assert ending_soon([short], T0 + 300, 900) == [short]
    long = RentalEnd(2, 1, T0 + 3_600, duration_sec=3_600)
    assert ending_soon([long], T0 + 2_700, 900) == [long]  # the full lead time


async def test_each_ending_rental_is_reported_once() -> None:
    now = [T0]
    store = EndingStore([RentalEnd(1, 7, T0 + 300), RentalEnd(2, 7, T0 + 1_200)])
    service = RentalEndingService(store, lead_seconds=600, clock=lambda: now[0])
    assert [r.order_id for r in await service.due()] == [1]
    assert await service.due() == []
    now[0] = T0 + 700
    assert [r.order_id for r in await service.due()] == [2]
    assert await service.due() == []
    assert store.asked_until[0] == T0 + 600


def test_the_lead_time_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lead_seconds"):
        RentalEndingService(EndingStore([]), lead_seconds=0, clock=lambda: T0)


# --- against the node simulator over 127.0.0.1 ---------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0) as simulator:
        yield simulator


@pytest.fixture
async def node(server: TronNodeSimulator) -> AsyncIterator[TronNodeClient]:
    server.reset()
    client = TronNodeClient(pacer=Pacer(0.0, hold=False), base_url=server.base_url, timeout=5)
    async with client:
        yield client


async def test_against_the_simulator(server: TronNodeSimulator, node: TronNodeClient) -> None:
    server.set_account(RECV, usdt=10_000_000, trx_sun=100_000_000)
    server.set_account(PAYEE, usdt=1)
    server.transfer_usdt(RECV, PAYEE, 1_000_000)  # before the rental: burns TRX
    server.advance_clock(10)  # that transfer is now 10 s old; the match 5 s
    matched = server.now() - 5
    server.delegate_energy(RECV, 130_000)
    order = ConfirmCandidate(1, 9, RECV, 130_000, matched, matched + 3_600)
    service = AutoConfirmService(node, Store([order]), clock=server.now)
    (decision,) = await service.cycle()
    assert decision.verdict is Verdict.WAIT_FIRST_TRANSFER
    server.transfer_usdt(RECV, PAYEE, 1_000_000)
    (decision,) = await service.cycle()
    assert decision.verdict is Verdict.COVERS_ANOTHER  # 65,715 left covers a second
    server.transfer_usdt(RECV, PAYEE, 1_000_000)
    (decision,) = await service.due()
    assert decision.transfers_seen == 2
    assert decision.energy_left == 130_000 - 2 * TRANSFER_ENERGY_TO_HOLDER


async def test_the_pieces_together_against_the_simulator(
    server: TronNodeSimulator, node: TronNodeClient
) -> None:
    """Sized to a payee, rented, used once, confirmed, the saving made."""
    server.set_account(RECV, usdt=10_000_000, trx_sun=100_000_000)
    server.set_account(PAYEE)  # holds no USDT: the dearer transfer
    need = await EnergyNeedService(node).assess(
        NeedRequest(receivers=(RECV,), amount=65_000, minimum=65_000, payee=PAYEE)
    )
    amount = need.suggested_amount
    assert amount == 130_285
    server.advance_clock(1)
    matched = server.now() - 0.5
    server.delegate_energy(RECV, amount)
    order = ConfirmCandidate(1, 9, RECV, amount, matched, matched + 3_600)
    service = AutoConfirmService(node, Store([order]), clock=server.now)
    assert await service.due() == []
    server.transfer_usdt(RECV, PAYEE, 1_000_000)
    (due,) = await service.due()
    assert due.rental_energy_used == 130_285
    made = await SavingsService(node).realised(
        charge_sun=9_000_000, refund_sun=2_000_000, energy_used=due.rental_energy_used or 0
    )
    assert made is not None
    assert made.saving_sun == 130_285 * 100 - 7_000_000


async def test_an_order_hanging_every_cycle_never_starves_the_others(chain: FakeChain) -> None:
    """Each call's timeout is kept within the cycle's budget: an order whose history
    never comes back costs its own turn, and the next order is still read."""
    hung = derive_address("confirm:hung")
    chain.add(hung)
    chain.send(RECV, PAYEE, T0 + 10, energy=64_285)
    original = chain.outgoing_usdt_transfers

    async def hanging(address: str, since_ms: int, *, max_pages: int = 5) -> list[Trc20Transfer]:
        if address == hung:
            await asyncio.Event().wait()
        return await original(address, since_ms, max_pages=max_pages)

    chain.outgoing_usdt_transfers = hanging  # type: ignore[method-assign]
    store = Store([candidate(1, receiver=hung), candidate(2)])
    service = AutoConfirmService(chain, store, budget_seconds=0.3, clock=lambda: T0 + 60)
    for _ in range(2):
        verdicts = {d.candidate.order_id: d.verdict for d in await service.cycle()}
        assert verdicts == {1: Verdict.UNKNOWN, 2: Verdict.CONFIRM}
