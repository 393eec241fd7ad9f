"""The transfer an order was sized for: kept with its submission (and the summary's
offer), and the energy automatic confirmation counts as "another transfer"."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.chain.models import (
    TRANSFER_ENERGY_TO_HOLDER,
    TRANSFER_ENERGY_TO_NON_HOLDER,
    AccountResources,
    Trc20Transfer,
)
from bot.domain import OrderState, ProviderName
from bot.providers.port import OrderRequest
from bot.sandbox.base import derive_address
from bot.services.after_match import AfterMatch
from bot.services.auto_confirm import ConfirmCandidate, Verdict, decide
from bot.services.energy_need import (
    NeedBasis,
    NeedReport,
    SizedTransfer,
    TransferNeed,
)
from bot.services.orders import OrderService
from bot.services.sizing import Sizing
from bot.storage.migrations import MIGRATIONS
from bot.storage.repository import OrderChanges, Repository, Transition
from bot.telegram.draft import Draft, Offer
from tests.support.clock import Clock
from tests.support.fake_chain import FakeChain
from tests.support.fake_provider import FakeProvider

RECV = derive_address("sized:receiver")
PAYEE = derive_address("sized:payee")
OTHER = derive_address("sized:other")
T0 = 1_800_000_000.0
NON_HOLDER = SizedTransfer(PAYEE, TRANSFER_ENERGY_TO_NON_HOLDER)


async def _submission(repo: Repository, **sized: object) -> int:
    sub = await repo.create_submission(
        chat_id=10,
        user_id=20,
        provider=ProviderName.TRONSAVE,
        key_id="key1",
        amount=200_000,
        duration_sec=3_600,
        max_price=70,
        deadline_sec=300,
        receivers=(RECV,),
        now=100.0,
        **sized,  # type: ignore[arg-type]
    )
    return sub.id


# --- storage ---------------------------------------------------------------------------


async def test_the_sized_transfer_is_stored_with_the_submission(repo: Repository) -> None:
    sized = await _submission(repo, payee=PAYEE, transfer_energy=TRANSFER_ENERGY_TO_NON_HOLDER)
    unsized = await _submission(repo)
    stored = await repo.get_submission(sized)
    assert stored is not None
    assert (stored.payee, stored.transfer_energy) == (PAYEE, TRANSFER_ENERGY_TO_NON_HOLDER)
    plain = await repo.get_submission(unsized)
    assert plain is not None
    assert (plain.payee, plain.transfer_energy) == (None, None)


async def test_submissions_stored_before_the_migration_read_as_not_sized(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(db_path) as conn:
        conn.executescript(
            "\n".join(MIGRATIONS[:-1]) + f"\nPRAGMA user_version = {len(MIGRATIONS) - 1};"
        )
        conn.execute(
            "INSERT INTO submissions (chat_id, user_id, provider, key_id, amount,"
            " duration_sec, max_price, deadline_sec, receivers, state, created_at,"
            " updated_at) VALUES (10, 20, 'tronsave', 'key1', 65000, 900, 70, 300,"
            f" '[\"{RECV}\"]', 'submitted', 1.0, 1.0)"
        )
    conn.close()
    repo = await Repository.open(db_path)
    try:
        old = await repo.get_submission(1)
        assert old is not None
        assert old.receivers == (RECV,)
        assert (old.payee, old.transfer_energy) == (None, None)
        new = await _submission(repo, payee=PAYEE, transfer_energy=70_000)
        stored = await repo.get_submission(new)
        assert stored is not None
        assert stored.transfer_energy == 70_000
    finally:
        await repo.close()


# --- which sizing counts -----------------------------------------------------------------


def _sizing(basis: NeedBasis, energy: int | None, payee: str | None = PAYEE) -> Sizing:
    report = NeedReport(200_000, payee, TransferNeed(energy, basis), (), frozenset())
    return Sizing(enabled=True, report=report)


def test_only_a_payee_sized_from_the_chain_counts() -> None:
    simulated = _sizing(NeedBasis.SIMULATED, 131_000)
    assert simulated.sized_transfer == SizedTransfer(PAYEE, 131_000)
    holder = _sizing(NeedBasis.PAYEE_HOLDER, TRANSFER_ENERGY_TO_HOLDER)
    assert holder.sized_transfer == SizedTransfer(PAYEE, TRANSFER_ENERGY_TO_HOLDER)
    assert _sizing(NeedBasis.PAYEE_NON_HOLDER, 130_285).sized_transfer == NON_HOLDER
    assumed = _sizing(NeedBasis.ASSUMED_HOLDER, TRANSFER_ENERGY_TO_HOLDER, payee=None)
    assert assumed.sized_transfer is None
    assert _sizing(NeedBasis.UNKNOWN, None).sized_transfer is None
    assert Sizing(enabled=False).sized_transfer is None
    assert Sizing(enabled=True).sized_transfer is None


# --- the draft ---------------------------------------------------------------------------


def test_the_offer_keeps_the_sized_transfer_and_old_drafts_load() -> None:
    request = OrderRequest(200_000, 3_600, 70, (RECV,), 300)
    draft = Draft(nonce="n1", offer=Offer("n1", "tronsave", request, NON_HOLDER))
    loaded = Draft.from_dict(draft.to_dict())
    assert loaded.offer is not None
    assert loaded.offer.sized == NON_HOLDER
    old = draft.to_dict()
    old["offer"].pop("sized")  # a draft saved before the offer kept it
    before = Draft.from_dict(old).offer
    assert before is not None
    assert before.request == request
    assert before.sized is None
    broken = draft.to_dict()
    broken["offer"]["sized"] = {"payee": PAYEE, "energy": "lots"}
    unreadable = Draft.from_dict(broken).offer
    assert unreadable is not None
    assert unreadable.sized is None


# --- the decision --------------------------------------------------------------------------


def _candidate(
    next_energy: int = TRANSFER_ENERGY_TO_HOLDER, payee: str | None = None
) -> ConfirmCandidate:
    return ConfirmCandidate(
        1, 10, RECV, 200_000, T0, T0 + 3_600, next_transfer_energy=next_energy, payee=payee
    )


def _sent(payee: str = PAYEE) -> list[Trc20Transfer]:
    return [Trc20Transfer("tx1", int((T0 + 5) * 1000), RECV, payee, 1, "usdt")]


LEFT = AccountResources(RECV, True, energy_limit=69_715)  # 200,000 less one non-holder transfer


def test_a_non_holder_figure_confirms_what_the_holder_figure_keeps() -> None:
    holder = decide(_candidate(), _sent(), LEFT, T0 + 60)
    assert holder.verdict is Verdict.COVERS_ANOTHER
    sized = _candidate(TRANSFER_ENERGY_TO_NON_HOLDER, PAYEE)
    decision = decide(sized, _sent(), LEFT, T0 + 60, payee_holds=False)
    assert decision.verdict is Verdict.CONFIRM
    assert decision.energy_left == 69_715
    full = AccountResources(RECV, True, energy_limit=TRANSFER_ENERGY_TO_NON_HOLDER)
    assert decide(sized, _sent(), full, T0 + 60, payee_holds=False).verdict is (
        Verdict.COVERS_ANOTHER
    )


def test_the_holder_figure_still_rules_where_a_cheaper_transfer_may_follow() -> None:
    sized = _candidate(TRANSFER_ENERGY_TO_NON_HOLDER, PAYEE)
    # The payee kept the USDT (its next transfer costs the holder figure), or its
    # balance could not be read: what is left still covers one.
    assert decide(sized, _sent(), LEFT, T0 + 60, payee_holds=True).verdict is (
        Verdict.COVERS_ANOTHER
    )
    assert decide(sized, _sent(), LEFT, T0 + 60).verdict is Verdict.COVERS_ANOTHER
    # The receiver sent to another address too: it may send there again.
    elsewhere = [*_sent(), *_sent(OTHER)]
    assert decide(sized, elsewhere, LEFT, T0 + 60, payee_holds=False).verdict is (
        Verdict.COVERS_ANOTHER
    )


def test_a_figure_below_the_holders_only_waits_longer() -> None:
    cheaper = _candidate(40_000, PAYEE)
    left = AccountResources(RECV, True, energy_limit=50_000)
    assert decide(_candidate(), _sent(), left, T0 + 60).verdict is Verdict.CONFIRM
    assert decide(cheaper, _sent(OTHER), left, T0 + 60).verdict is Verdict.COVERS_ANOTHER


# --- the after-match cycle on stored submissions ----------------------------------------------


async def _matched(repo: Repository, orders: OrderService, sized: SizedTransfer | None) -> int:
    outcome = await orders.submit(
        chat_id=10,
        user_id=20,
        provider=ProviderName.TRONSAVE,
        request=OrderRequest(200_000, 3_600, 70, (RECV,), 300),
        sized=sized,
    )
    (order,) = outcome.orders
    changes = OrderChanges(matched_at=T0, ends_at=T0 + 3_600)
    await repo.apply([Transition(order, OrderState.MATCHED, "Matched", changes)], now=T0)
    return order.id


@pytest.mark.parametrize(
    ("sized", "payee_usdt", "confirmed"),
    [(NON_HOLDER, 0, 1), (None, 0, 0), (NON_HOLDER, 5, 0)],
    ids=["sized-to-a-non-holder", "not-sized", "payee-now-holds"],
)
async def test_the_cycle_uses_the_stored_figure(
    repo: Repository, sized: SizedTransfer | None, payee_usdt: int, confirmed: int
) -> None:
    clock = Clock(T0 + 30)
    provider = FakeProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    order_id = await _matched(repo, orders, sized)
    stored = await repo.get_submission(1)
    assert stored is not None
    assert stored.transfer_energy == (None if sized is None else sized.energy)
    chain = FakeChain()
    chain.add(RECV, energy_limit=200_000, usdt=10)
    chain.add(PAYEE, usdt=payee_usdt)
    chain.send(RECV, PAYEE, T0 + 10, energy=TRANSFER_ENERGY_TO_NON_HOLDER)
    runner = AfterMatch(repo, orders, chain, ending_lead_seconds=0.0, clock=clock)
    report = await runner.run_cycle()
    assert report.confirmed == confirmed
    assert (await repo.auto_confirm_outcome(order_id))[0] is bool(confirmed)
    assert chain.calls["usdt_balance"] == (0 if sized is None else 1)


async def test_a_payee_balance_not_read_keeps_the_holder_figure(repo: Repository) -> None:
    clock = Clock(T0 + 30)
    provider = FakeProvider()
    orders = OrderService(repo, {provider.name: provider}, clock=clock)
    order_id = await _matched(repo, orders, NON_HOLDER)
    chain = FakeChain(failing={"usdt_balance"})
    chain.add(RECV, energy_limit=200_000, usdt=10)
    chain.send(RECV, PAYEE, T0 + 10, energy=TRANSFER_ENERGY_TO_NON_HOLDER)
    runner = AfterMatch(repo, orders, chain, ending_lead_seconds=0.0, clock=clock)
    report = await runner.run_cycle()
    assert (report.checked, report.confirmed, report.errors) == (1, 0, [])
    assert await repo.auto_confirm_outcome(order_id) == (False, None)
    chain.failing.clear()  # read next cycle: the payee holds none
    assert (await runner.run_cycle()).confirmed == 1
