"""Watched addresses: alerts with hysteresis, reading in turn, and the auto-rent policy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace

import pytest

from bot.chain.client import TronNodeClient
from bot.chain.models import AccountResources
from bot.net.pacing import Pacer
from bot.sandbox.base import derive_address
from bot.sandbox.tron_node import TronNodeSimulator
from bot.services.alerts import AlertEvent, AlertState, step_alert
from bot.services.auto_rent import (
    DAY_SECONDS,
    AutoRentLedger,
    AutoRentPlan,
    PlaceResult,
    PlaceStatus,
    RentAction,
    StopReason,
    WaitReason,
    decide_auto_rent,
    record_placement,
    sized_plan,
)
from bot.services.turns import RoundRobin, Turns
from bot.services.watch import ActionKind, Watch, WatchAction, WatchService
from tests.support.fake_chain import FakeChain

ADDR = derive_address("watch:address")
ADDR2 = derive_address("watch:address2")
T0 = 20_000 * DAY_SECONDS + 3_600.0  # 01:00 UTC on some day
THRESHOLD = 65_000


# --- alerts ---------------------------------------------------------------------------------


def run(values: Sequence[int], state: AlertState = AlertState.UNKNOWN) -> list[AlertEvent]:
    events = []
    for value in values:
        state, event = step_alert(state, value, THRESHOLD)
        if event is not None:
            events.append(event)
    return events


def test_alert_once_when_low_and_once_when_recovered() -> None:
    assert run([100_000, 60_000, 50_000, 40_000, 80_000, 90_000]) == [
        AlertEvent.LOW,
        AlertEvent.RECOVERED,
    ]


def test_hovering_at_the_threshold_does_not_flap() -> None:
    # Margin: a tenth of the threshold, 6,500; recovery needs 71,500.
    hovering = [64_999, 65_000, 64_999, 65_001, 71_499, 64_000, 71_499]
    assert run([100_000, *hovering]) == [AlertEvent.LOW]
    assert run([100_000, *hovering, 71_500]) == [AlertEvent.LOW, AlertEvent.RECOVERED]


def test_exactly_at_the_threshold_is_not_low() -> None:
    assert step_alert(AlertState.OK, THRESHOLD, THRESHOLD) == (AlertState.OK, None)
    assert step_alert(AlertState.OK, THRESHOLD - 1, THRESHOLD) == (AlertState.LOW, AlertEvent.LOW)


def test_first_reading() -> None:
    assert step_alert(AlertState.UNKNOWN, 0, THRESHOLD) == (AlertState.LOW, AlertEvent.LOW)
    assert step_alert(AlertState.UNKNOWN, THRESHOLD, THRESHOLD) == (AlertState.OK, None)


def test_a_custom_margin_and_bad_thresholds() -> None:
    assert step_alert(AlertState.LOW, THRESHOLD, THRESHOLD, 0) == (
        AlertState.OK,
        AlertEvent.RECOVERED,
    )
    with pytest.raises(ValueError, match="threshold"):
        step_alert(AlertState.OK, 1, 0)
    with pytest.raises(ValueError, match="margin"):
        step_alert(AlertState.OK, 1, 10, -1)


def test_round_robin_takes_turns() -> None:
    turns = RoundRobin[str]()
    keys = ["c", "a", "b", "a"]
    first = turns.pick(keys, 2)
    assert first == ["a", "b"]
    turns.done("b")
    assert turns.pick(keys, 2) == ["c", "a"]
    # Nothing read (a budget spent at once): the same turn again.
    assert turns.pick(keys, 2) == ["c", "a"]
    assert turns.pick([], 2) == []


async def test_turns_visit_in_turn_and_stop_at_the_budget() -> None:
    with pytest.raises(ValueError, match="addresses_per_cycle must be at least 1"):
        Turns[str](0, 1.0, name="addresses_per_cycle")
    turns = Turns[int](2, 0.05, name="n")
    seen: list[int] = []

    async def visit(key: int) -> None:
        seen.append(key)

    assert await turns.take([3, 1, 2], visit) is True
    assert await turns.take([3, 1, 2], visit) is True
    assert seen == [1, 2, 3, 1]

    async def slow(key: int) -> None:
        seen.append(key)
        await asyncio.sleep(1)

    assert await turns.take([3, 1, 2], slow) is False
    # The key cut off by the budget was not read: it goes first again.
    assert await turns.take([3, 1, 2], visit) is True
    assert seen[-3:] == [2, 2, 3]


# --- auto-rent policy -------------------------------------------------------------------------


PLAN = AutoRentPlan(
    provider="tronsave",
    amount=65_000,
    duration_sec=3_600,
    max_price=100,  # at most 6.5 TRX an order
    daily_budget_sun=13_000_000,  # exactly two orders
    daily_orders=5,
    pause_seconds=600,
)


def rent(ledger: AutoRentLedger, **kw: object) -> tuple[RentAction, AutoRentLedger]:
    args: dict[str, object] = {"low": True, "allowed": True, "open_order": False, "now": T0}
    args.update(kw)
    decision = decide_auto_rent(PLAN, ledger, **args)  # type: ignore[arg-type]
    return decision.action, decision.ledger


def test_budgets_are_required() -> None:
    with pytest.raises(ValueError, match="budget"):
        replace(PLAN, daily_budget_sun=0)
    with pytest.raises(ValueError, match="budget"):
        replace(PLAN, daily_orders=0)
    with pytest.raises(ValueError, match="positive"):
        replace(PLAN, max_price=0)


def test_budget_exhausted_exactly_at_the_limit() -> None:
    ledger = AutoRentLedger().on(T0)
    placed = PlaceResult(PlaceStatus.PLACED, charge_sun=None)  # charged at the worst case
    for _ in range(2):
        action, ledger = rent(ledger)
        assert action is RentAction.PLACE
        ledger = record_placement(PLAN, ledger, placed, T0)
    assert ledger.spent_sun == PLAN.daily_budget_sun  # spent to the last SUN: allowed
    decision = decide_auto_rent(PLAN, ledger, low=True, allowed=True, open_order=False, now=T0)
    assert decision.action is RentAction.STOP
    assert decision.stop is StopReason.DAILY_BUDGET
    # Said once, then silent.
    again = decide_auto_rent(
        PLAN, decision.ledger, low=True, allowed=True, open_order=False, now=T0
    )
    assert again.action is RentAction.WAIT
    assert again.wait is WaitReason.STOPPED


def test_a_cheaper_actual_charge_leaves_room() -> None:
    ledger = record_placement(
        PLAN, AutoRentLedger().on(T0), PlaceResult(PlaceStatus.PLACED, 4_000_000), T0
    )
    ledger = record_placement(PLAN, ledger, PlaceResult(PlaceStatus.PLACED, 2_500_000), T0)
    assert rent(ledger)[0] is RentAction.PLACE  # 6.5 + 6.5 = 13.0 TRX fits


def test_daily_orders_limit() -> None:
    plan = replace(PLAN, daily_orders=1, daily_budget_sun=10**12)
    ledger = record_placement(plan, AutoRentLedger().on(T0), PlaceResult(PlaceStatus.PLACED), T0)
    decision = decide_auto_rent(plan, ledger, low=True, allowed=True, open_order=False, now=T0)
    assert decision.stop is StopReason.DAILY_ORDERS


def test_a_new_day_resets_the_budget() -> None:
    spent = AutoRentLedger(day=int(T0 // DAY_SECONDS), spent_sun=13_000_000, orders=2)
    assert rent(spent)[0] is RentAction.STOP
    action, ledger = rent(spent, now=T0 + DAY_SECONDS)
    assert action is RentAction.PLACE
    assert ledger.spent_sun == 0


def test_only_while_low_one_open_order_and_allowed_users() -> None:
    ledger = AutoRentLedger().on(T0)
    assert rent(ledger, low=False)[0] is RentAction.WAIT
    decision = decide_auto_rent(PLAN, ledger, low=True, allowed=True, open_order=True, now=T0)
    assert decision.wait is WaitReason.OPEN_ORDER
    refused = decide_auto_rent(PLAN, ledger, low=True, allowed=False, open_order=False, now=T0)
    assert refused.action is RentAction.STOP
    assert refused.stop is StopReason.NOT_ALLOWED


def test_a_failure_pauses() -> None:
    ledger = record_placement(PLAN, AutoRentLedger().on(T0), PlaceResult(PlaceStatus.FAILED), T0)
    assert ledger.orders == 0
    decision = decide_auto_rent(
        PLAN, ledger, low=True, allowed=True, open_order=False, now=T0 + 599
    )
    assert decision.wait is WaitReason.PAUSED
    assert rent(ledger, now=T0 + 600)[0] is RentAction.PLACE


def test_an_unknown_outcome_counts_as_placed_and_pauses() -> None:
    ledger = record_placement(PLAN, AutoRentLedger().on(T0), PlaceResult(PlaceStatus.UNKNOWN), T0)
    assert ledger.orders == 1
    assert ledger.spent_sun == PLAN.max_cost_sun
    assert rent(ledger, now=T0 + 1)[0] is RentAction.WAIT


def test_the_provider_balance_stops_spending() -> None:
    ledger = AutoRentLedger().on(T0)
    decision = decide_auto_rent(
        PLAN,
        ledger,
        low=True,
        allowed=True,
        open_order=False,
        now=T0,
        provider_balance_sun=PLAN.max_cost_sun - 1,
    )
    assert decision.stop is StopReason.PROVIDER_BALANCE
    enough = decide_auto_rent(
        PLAN,
        decision.ledger,
        low=True,
        allowed=True,
        open_order=False,
        now=T0,
        provider_balance_sun=PLAN.max_cost_sun,
    )
    assert enough.action is RentAction.PLACE
    placed = record_placement(PLAN, enough.ledger, PlaceResult(PlaceStatus.PLACED), T0)
    assert placed.stopped is None


# --- the service --------------------------------------------------------------------------------


@dataclass
class Store:
    items: dict[int, Watch] = field(default_factory=dict)

    async def watches(self) -> Sequence[Watch]:
        return list(self.items.values())

    told: list[WatchAction] = field(default_factory=list)  # queued with the change

    async def save_alert_state(
        self, watch_id: int, state: AlertState, action: WatchAction | None
    ) -> None:
        self.items[watch_id] = replace(self.items[watch_id], state=state)
        self.told.extend([action] if action else [])

    async def save_ledger(
        self, watch_id: int, ledger: AutoRentLedger, action: WatchAction | None
    ) -> None:
        self.items[watch_id] = replace(self.items[watch_id], ledger=ledger)
        self.told.extend([action] if action else [])


@dataclass
class Placer:
    results: list[PlaceResult] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    store: Store | None = None

    async def __call__(self, watch: Watch, plan: AutoRentPlan) -> PlaceResult:
        self.calls.append(watch.watch_id)
        result = self.results.pop(0) if self.results else PlaceResult(PlaceStatus.PLACED)
        if self.store is not None and result.status is PlaceStatus.PLACED:
            # The order stays open until the rental arrives (as the repository tells).
            current = self.store.items[watch.watch_id]
            self.store.items[watch.watch_id] = replace(current, open_auto_order=True)
        return result


def service(
    chain: FakeChain, store: Store, placer: Placer | None = None, **kw: object
) -> WatchService:
    return WatchService(
        chain,
        store,
        place=placer or Placer(),
        allowed=lambda user_id: user_id != 666,
        clock=lambda: T0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def chain() -> FakeChain:
    fake = FakeChain()
    fake.add(ADDR, energy_limit=100_000)
    fake.add(ADDR2, energy_limit=100_000)
    return fake


async def test_an_alert_once_not_repeatedly(chain: FakeChain) -> None:
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD)})
    watcher = service(chain, store)
    assert await watcher.cycle() == []
    chain.accounts[ADDR].energy_used = 50_000
    (alert,) = await watcher.cycle()
    assert alert.kind is ActionKind.ALERT
    assert alert.available == 50_000
    for _ in range(3):
        assert await watcher.cycle() == []
    chain.accounts[ADDR].energy_used = 30_000  # 70,000: within the margin
    assert await watcher.cycle() == []
    chain.accounts[ADDR].energy_used = 0
    (recovered,) = await watcher.cycle()
    assert recovered.kind is ActionKind.RECOVERED
    assert store.items[1].state is AlertState.OK


async def test_a_failed_reading_changes_nothing(chain: FakeChain) -> None:
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD, state=AlertState.LOW)})
    chain.down = True
    assert await service(chain, store).cycle() == []
    assert store.items[1].state is AlertState.LOW


async def test_an_address_not_activated_is_low(chain: FakeChain) -> None:
    ghost = derive_address("watch:ghost")
    store = Store({1: Watch(1, 10, 20, ghost, THRESHOLD)})
    (alert,) = await service(chain, store).cycle()
    assert alert.kind is ActionKind.ALERT
    assert alert.available == 0


async def test_a_stored_address_that_is_not_one_stops_nothing(chain: FakeChain) -> None:
    chain.accounts[ADDR].energy_used = 90_000
    store = Store(
        {1: Watch(1, 10, 20, "Tgarbage", THRESHOLD), 2: Watch(2, 10, 20, ADDR, THRESHOLD)}
    )
    (alert,) = await service(chain, store).cycle()
    assert alert.watch.watch_id == 2


async def test_an_address_watched_twice_is_read_once(chain: FakeChain) -> None:
    chain.accounts[ADDR].energy_used = 90_000
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD), 2: Watch(2, 11, 21, ADDR, 5_000)})
    actions = await service(chain, store).cycle()
    assert chain.calls["account_resources"] == 1
    assert [a.watch.watch_id for a in actions] == [1]  # 10,000 is low only for the first


async def test_addresses_are_read_in_turn_within_the_cycle(chain: FakeChain) -> None:
    addresses = [derive_address(f"watch:many:{i}") for i in range(5)]
    store = Store({i: Watch(i, 10, 20, a, THRESHOLD) for i, a in enumerate(addresses)})
    watcher = service(chain, store, addresses_per_cycle=2)
    for _ in range(3):
        await watcher.cycle()
    assert chain.calls["account_resources"] == 6
    assert all(w.state is AlertState.LOW for w in store.items.values())


async def test_the_time_budget_cuts_a_slow_node(chain: FakeChain) -> None:
    chain.delay = 0.05
    addresses = [derive_address(f"watch:slow:{i}") for i in range(10)]
    store = Store({i: Watch(i, 10, 20, a, THRESHOLD) for i, a in enumerate(addresses)})
    watcher = service(chain, store, budget_seconds=0.12)
    first = await watcher.cycle()
    assert 1 <= len(first) < 10
    second = await watcher.cycle()
    assert {a.watch.watch_id for a in first}.isdisjoint(a.watch.watch_id for a in second)


async def test_auto_rent_places_exactly_one_order_and_stops_at_the_budget(
    chain: FakeChain,
) -> None:
    plan = replace(PLAN, daily_budget_sun=PLAN.max_cost_sun)  # one order's worth
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD, plan=plan)})
    placer = Placer(store=store)
    watcher = service(chain, store, placer)
    chain.accounts[ADDR].energy_used = 90_000
    first = await watcher.cycle()
    assert [a.kind for a in first] == [ActionKind.ALERT, ActionKind.AUTO_RENT]
    assert placer.calls == [1]
    # Still low while the order is open: no second order.
    assert await watcher.cycle() == []
    # The order is over, still low: the budget is spent, said once.
    store.items[1] = replace(store.items[1], open_auto_order=False)
    (stopped,) = await watcher.cycle()
    assert stopped.kind is ActionKind.AUTO_RENT_STOPPED
    assert stopped.stop is StopReason.DAILY_BUDGET
    assert await watcher.cycle() == []
    assert placer.calls == [1]
    assert store.items[1].ledger.spent_sun == plan.max_cost_sun


async def test_auto_rent_waits_in_the_alerts_band(chain: FakeChain) -> None:
    # Low and alerted, then back at the threshold but short of the recovery margin.
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD, state=AlertState.LOW, plan=PLAN)})
    chain.accounts[ADDR].energy_used = 100_000 - THRESHOLD
    placer = Placer()
    assert await service(chain, store, placer).cycle() == []
    assert placer.calls == []
    assert store.items[1].state is AlertState.LOW
    chain.accounts[ADDR].energy_used += 1
    await service(chain, store, placer).cycle()
    assert placer.calls == [1]


async def test_auto_rent_off_or_not_allowed(chain: FakeChain) -> None:
    chain.accounts[ADDR].energy_used = 90_000
    store = Store(
        {1: Watch(1, 10, 20, ADDR, THRESHOLD), 2: Watch(2, 10, 666, ADDR, THRESHOLD, plan=PLAN)}
    )
    placer = Placer()
    actions = await service(chain, store, placer).cycle()
    assert placer.calls == []
    assert [(a.watch.watch_id, a.kind) for a in actions] == [
        (1, ActionKind.ALERT),
        (2, ActionKind.AUTO_RENT_STOPPED),
    ]
    assert actions[1].stop is StopReason.NOT_ALLOWED


async def test_a_user_whose_access_was_withdrawn_gets_no_more_alerts(chain: FakeChain) -> None:
    store = Store({1: Watch(1, 10, 666, ADDR, THRESHOLD, state=AlertState.OK)})
    watcher = service(chain, store)
    chain.accounts[ADDR].energy_used = 90_000
    assert await watcher.cycle() == []
    chain.accounts[ADDR].energy_used = 0
    assert await watcher.cycle() == []
    assert store.told == []
    assert store.items[1].state is AlertState.OK


async def test_a_failed_placing_pauses_and_a_raising_one_counts_as_unknown(
    chain: FakeChain,
) -> None:
    chain.accounts[ADDR].energy_used = 90_000
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD, plan=PLAN)})
    placer = Placer([PlaceResult(PlaceStatus.FAILED)])
    now = [T0]
    watcher = WatchService(
        chain, store, place=placer, allowed=lambda u: True, clock=lambda: now[0]
    )
    actions = await watcher.cycle()
    assert actions[-1].placed == PlaceResult(PlaceStatus.FAILED)
    assert await watcher.cycle() == []  # paused
    now[0] = T0 + PLAN.pause_seconds

    async def boom(watch: Watch, plan: AutoRentPlan) -> PlaceResult:
        raise RuntimeError("submit path broke")

    watcher._place = boom
    (action,) = await watcher.cycle()
    assert action.placed == PlaceResult(PlaceStatus.UNKNOWN)
    assert store.items[1].ledger.orders == 1


async def test_the_provider_balance_is_asked_before_placing(chain: FakeChain) -> None:
    chain.accounts[ADDR].energy_used = 90_000
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD, plan=PLAN)})
    asked: list[str] = []

    async def balance(provider: str) -> int | None:
        asked.append(provider)
        return 1_000

    placer = Placer()
    actions = await service(chain, store, placer, provider_balance=balance).cycle()
    assert asked == ["tronsave"]
    assert placer.calls == []
    assert actions[-1].stop is StopReason.PROVIDER_BALANCE


async def test_a_no_balance_answer_stops_once(chain: FakeChain) -> None:
    chain.accounts[ADDR].energy_used = 90_000
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD, plan=replace(PLAN, pause_seconds=0))})
    placer = Placer([PlaceResult(PlaceStatus.NO_BALANCE)] * 2)
    watcher = service(chain, store, placer)
    first = await watcher.cycle()
    assert first[-1].stop is StopReason.PROVIDER_BALANCE
    assert await watcher.cycle() == []  # tried again, refused again: not told again
    assert placer.calls == [1, 1]


# --- against the node simulator over 127.0.0.1 --------------------------------------------------


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
    payee = derive_address("watch:payee")
    server.set_account(ADDR, energy_limit=100_000, usdt=10_000_000)
    server.set_account(payee, usdt=1)
    store = Store({1: Watch(1, 10, 20, ADDR, THRESHOLD, plan=PLAN)})
    placer = Placer(store=store)
    watcher = WatchService(node, store, place=placer, allowed=lambda u: True, clock=server.now)
    assert await watcher.cycle() == []
    server.transfer_usdt(ADDR, payee, 1_000_000)  # uses 64,285 of 100,000
    kinds = [a.kind for a in await watcher.cycle()]
    assert kinds == [ActionKind.ALERT, ActionKind.AUTO_RENT]
    assert await watcher.cycle() == []
    server.delegate_energy(ADDR, 65_000)  # the automatic order arrived
    (recovered,) = await watcher.cycle()
    assert recovered.kind is ActionKind.RECOVERED
    assert recovered.available == 100_000 - 64_285 + 65_000
    assert placer.calls == [1]


def test_an_auto_amount_is_sized_to_what_the_address_lacks() -> None:
    auto = replace(PLAN, amount=32_000, auto_amount=True)  # amount: the provider minimum
    resources = AccountResources(ADDR, True, energy_limit=100_000, energy_used=60_000)
    # One transfer to a holder (64,285) minus the 40,000 on hand, at least the minimum.
    assert sized_plan(auto, resources, THRESHOLD).amount == 32_000
    empty = AccountResources(ADDR, False)
    assert sized_plan(auto, empty, THRESHOLD).amount == 64_285
    # A minimum of 131,000 stands for two transfers: 128,570 minus what is on hand.
    assert sized_plan(replace(auto, amount=1), resources, 131_000).amount == 128_570 - 40_000
    assert sized_plan(PLAN, empty, THRESHOLD) == PLAN  # a set amount stays as set
