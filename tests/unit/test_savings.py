"""Savings: burn cost at the live price against the rental, expected and realised."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest

from bot.chain.client import TronNodeClient
from bot.chain.models import TRANSFER_ENERGY_TO_HOLDER
from bot.net.pacing import Pacer
from bot.sandbox.base import derive_address
from bot.sandbox.tron_node import TronNodeSimulator
from bot.services.energy_need import (
    EnergyNeedService,
    NeedBasis,
    NeedReport,
    NeedRequest,
    ReceiverNeed,
    TransferNeed,
)
from bot.services.savings import (
    Savings,
    SavingsService,
    burn_sun,
    expected,
    realised,
    rented_energy_used,
)
from tests.support.fake_chain import FakeChain

RECV = derive_address("save:receiver")
RECV2 = derive_address("save:receiver2")
PAYEE = derive_address("save:payee")


def receiver(available: int | None, transfers: int | None) -> ReceiverNeed:
    return ReceiverNeed(RECV, True, available, None, None, frozenset(), None, transfers)


def report(
    *receivers: ReceiverNeed, energy: int | None = 64_285, amount: int = 65_000
) -> NeedReport:
    basis = NeedBasis.SIMULATED if energy else NeedBasis.UNKNOWN
    return NeedReport(amount, PAYEE, TransferNeed(energy, basis), receivers, frozenset())


def test_burn_is_energy_times_the_fee() -> None:
    assert burn_sun(64_285, 100) == 6_428_500
    assert burn_sun(130_285, 210) == 27_359_850
    with pytest.raises(ValueError, match="non-negative"):
        burn_sun(-1, 100)


def test_rented_energy_used_counts_only_what_the_transfers_take() -> None:
    # One transfer, nothing on hand: the transfer takes 64,285 of the 65,000 rented.
    assert rented_energy_used(receiver(0, 1), 64_285, 65_000) == 64_285
    # 40,000 on hand: the rental gives only 24,285 to the one transfer.
    assert rented_energy_used(receiver(40_000, 1), 64_285, 65_000) == 24_285
    # Amount short of a transfer: all of it is used, the rest burns anyway.
    assert rented_energy_used(receiver(0, 1), 130_285, 65_000) == 65_000
    # Enough on hand for the one transfer meant: the rental saves nothing.
    assert rented_energy_used(receiver(200_000, 1), 64_285, 65_000) == 0
    # Three transfers meant: the rental covers what the 100,000 on hand cannot.
    assert rented_energy_used(receiver(100_000, 3), 64_285, 200_000) == 92_855
    assert rented_energy_used(receiver(None, None), 64_285, 65_000) is None


def test_expected_saving_sums_the_receivers() -> None:
    need = report(receiver(0, 1), receiver(40_000, 1))
    savings = expected(need, rental_sun=5_000_000, energy_fee=100)
    assert savings == Savings(64_285 + 24_285, 100, 8_857_000, 5_000_000)
    assert savings is not None
    assert savings.saving_sun == 3_857_000
    assert savings.saving_ratio == Decimal(3_857_000) / Decimal(8_857_000)


def test_a_rental_dearer_than_burning_shows_a_negative_saving() -> None:
    savings = expected(report(receiver(0, 1)), rental_sun=7_000_000, energy_fee=100)
    assert savings is not None
    assert savings.saving_sun == -571_500


def test_unknown_figures_give_no_saving_rather_than_a_partial_one() -> None:
    assert expected(report(receiver(0, 1), receiver(None, None)), 1, 100) is None
    assert expected(report(receiver(0, 1), energy=None), 1, 100) is None
    assert expected(report(), 1, 100) is None


def test_no_burn_has_no_ratio() -> None:
    assert Savings(0, 100, 0, 10).saving_ratio is None


def test_realised_saving_is_net_of_the_refund() -> None:
    savings = realised(
        charge_sun=6_000_000, refund_sun=1_500_000, energy_used=64_285, energy_fee=100
    )
    assert savings is not None
    assert savings.cost_sun == 4_500_000
    assert savings.burn_sun == 6_428_500
    assert savings.saving_sun == 1_928_500
    assert realised(charge_sun=1, refund_sun=None, energy_used=1, energy_fee=100) is None
    # A refund larger than the charge (a provider rounding) never makes the cost negative.
    over = realised(charge_sun=100, refund_sun=150, energy_used=0, energy_fee=100)
    assert over is not None
    assert over.cost_sun == 0


async def test_the_service_reads_the_live_price() -> None:
    chain = FakeChain(fee=210)
    service = SavingsService(chain)
    savings = await service.expected(report(receiver(0, 1)), 5_000_000)
    assert savings is not None
    assert savings.energy_fee == 210
    assert savings.burn_sun == 64_285 * 210
    after = await service.realised(charge_sun=5_000_000, refund_sun=0, energy_used=64_285)
    assert after is not None
    assert after.burn_sun == 64_285 * 210


async def test_an_unreachable_node_gives_no_saving() -> None:
    chain = FakeChain(down=True)
    service = SavingsService(chain)
    assert await service.energy_fee() is None
    assert await service.expected(report(receiver(0, 1)), 5_000_000) is None
    assert await service.realised(charge_sun=1, refund_sun=0, energy_used=1) is None


@pytest.fixture(scope="module")
def server() -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0, energy_fee=210) as simulator:
        yield simulator


@pytest.fixture
async def node(server: TronNodeSimulator) -> AsyncIterator[TronNodeClient]:
    server.reset()
    client = TronNodeClient(
        pacer=Pacer(0.0, hold=False), base_url=server.base_url, timeout=5, energy_fee_ttl=0
    )
    async with client:
        yield client


async def test_against_the_simulator(server: TronNodeSimulator, node: TronNodeClient) -> None:
    server.set_account(RECV, usdt=1_000_000)
    server.set_account(RECV2, usdt=1_000_000, energy_limit=30_000)
    server.set_account(PAYEE, usdt=1)
    need = await EnergyNeedService(node).assess(
        NeedRequest(receivers=(RECV, RECV2), amount=65_000, minimum=65_000, payee=PAYEE)
    )
    savings = await SavingsService(node).expected(need, rental_sun=8_000_000)
    assert savings is not None
    energy = TRANSFER_ENERGY_TO_HOLDER + (TRANSFER_ENERGY_TO_HOLDER - 30_000)
    assert savings == Savings(energy, 210, energy * 210, 8_000_000)
    server.configure(energy_fee=100)  # a network proposal changed the price
    price_now = await SavingsService(node).energy_fee()
    assert price_now == 100
