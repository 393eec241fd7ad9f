"""The watched-address job: it reads at the node's pace (the shared pacer), a few
addresses per check in turn; a hung reading times out and a failing address or watch
does not stop the others; whatever fails, the next check is scheduled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.chain.client import TronNodeClient
from bot.net.pacing import Pacer
from bot.sandbox.base import derive_address
from bot.sandbox.tron_node import TronNodeSimulator
from bot.services.alerts import AlertState
from bot.services.auto_rent import AutoRentLedger, AutoRentPlan, PlaceResult, PlaceStatus
from bot.services.watch import ActionKind, Watch, WatchAction, WatchService
from bot.telegram.context import Context
from bot.telegram.watch_job import WATCH_JOB, WatchSchedule, check_watches, run_check
from tests.support.fake_chain import FakeChain

ADDRESSES = [derive_address(f"watch-job:{i}") for i in range(6)]
THRESHOLD = 65_000


@dataclass
class Store:
    items: dict[int, Watch] = field(default_factory=dict)
    told: list[WatchAction] = field(default_factory=list)
    broken: set[int] = field(default_factory=set)  # watches whose writes fail
    down: bool = False

    async def watches(self) -> Sequence[Watch]:
        if self.down:
            raise OSError("database is locked")
        return list(self.items.values())

    async def save_alert_state(
        self, watch_id: int, state: AlertState, action: WatchAction | None
    ) -> None:
        if watch_id in self.broken:
            raise OSError("disk full")
        self.items[watch_id] = replace(self.items[watch_id], state=state)
        self.told.extend([action] if action else [])

    async def save_ledger(
        self, watch_id: int, ledger: AutoRentLedger, action: WatchAction | None
    ) -> None:
        self.items[watch_id] = replace(self.items[watch_id], ledger=ledger)
        self.told.extend([action] if action else [])


async def never_place(watch: Watch, plan: object) -> PlaceResult:
    raise AssertionError("no auto-rent in these tests")


def store_of(addresses: Sequence[str]) -> Store:
    return Store({i: Watch(i, 10, 20, a, THRESHOLD) for i, a in enumerate(addresses)})


def watcher(chain: Any, store: Store, **kw: Any) -> WatchService:
    return WatchService(
        chain, store, place=never_place, allowed=lambda u: True, clock=lambda: 0.0, **kw
    )


def low_chain(addresses: Sequence[str]) -> FakeChain:
    chain = FakeChain()
    for address in addresses:
        chain.add(address, energy_limit=10_000)  # below the threshold: each one alerts
    return chain


async def test_a_hung_reading_times_out_and_the_others_are_read() -> None:
    chain = low_chain(ADDRESSES[:3])
    chain.hanging_addresses = {ADDRESSES[1]}
    store = store_of(ADDRESSES[:3])
    assert await run_check(watcher(chain, store, call_timeout=0.05, budget_seconds=1.0)) == 2
    assert {a.watch.address for a in store.told} == {ADDRESSES[0], ADDRESSES[2]}
    assert chain.in_flight == 0  # the hung call was cancelled, not left running
    assert store.items[1].state is AlertState.UNKNOWN  # not read: nothing changed


async def test_a_failing_address_does_not_stop_the_others() -> None:
    chain = low_chain(ADDRESSES[:3])
    chain.failing_addresses = {ADDRESSES[0]}
    store = store_of(ADDRESSES[:3])
    assert await run_check(watcher(chain, store)) == 2
    assert [a.watch.watch_id for a in store.told] == [1, 2]
    assert store.items[0].state is AlertState.UNKNOWN  # no false alert for it


async def test_a_watch_whose_write_fails_does_not_stop_the_others() -> None:
    chain = low_chain(ADDRESSES[:3])
    store = store_of(ADDRESSES[:3])
    store.broken = {0}
    assert await run_check(watcher(chain, store)) == 2
    assert [a.watch.watch_id for a in store.told] == [1, 2]


async def test_a_check_that_fails_as_a_whole_queues_nothing() -> None:
    store = store_of(ADDRESSES[:1])
    store.down = True
    assert await run_check(watcher(low_chain(ADDRESSES[:1]), store)) == 0


async def test_a_node_down_alerts_nothing() -> None:
    chain = low_chain(ADDRESSES)
    chain.down = True
    store = store_of(ADDRESSES)
    assert await run_check(watcher(chain, store)) == 0
    assert store.told == []


# --- the pace: the client's shared pacer, a few addresses per check ---------------------


@pytest.fixture(scope="module")
def server() -> Iterator[TronNodeSimulator]:
    with TronNodeSimulator(recovery_seconds=0) as simulator:
        yield simulator


@dataclass
class FakeTime:
    now: float = 0.0
    waits: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
async def paced(server: TronNodeSimulator) -> AsyncIterator[tuple[TronNodeClient, FakeTime]]:
    server.reset()
    for address in ADDRESSES:
        server.set_account(address, energy_limit=10_000)
    time = FakeTime()
    pacer = Pacer(0.25, hold=False, clock=time.clock, sleep=time.sleep)  # 4 requests/s
    async with TronNodeClient(pacer=pacer, base_url=server.base_url, timeout=5) as client:
        yield client, time


def resource_reads(server: TronNodeSimulator) -> list[str]:
    entries = cast(list[dict[str, Any]], server.request_log()["entries"])
    return [str(e["endpoint"]) for e in entries if e["endpoint"] == "getaccountresource"]


async def test_reads_keep_the_node_pace_and_spread_over_checks(
    server: TronNodeSimulator, paced: tuple[TronNodeClient, FakeTime]
) -> None:
    client, time = paced
    server.clear_requests()
    store = store_of(ADDRESSES)
    service = watcher(client, store, addresses_per_cycle=2)
    assert await run_check(service) == 2
    assert len(resource_reads(server)) == 2  # two per check, not all six at once
    assert time.waits == [pytest.approx(0.25)]  # the second waited for its turn
    assert await run_check(service) == 2
    assert await run_check(service) == 2
    assert len(resource_reads(server)) == 6
    assert sum(time.waits) == pytest.approx(5 * 0.25)  # six requests, a quarter second apart
    assert {a.watch.watch_id for a in store.told} == set(range(6))  # each in its turn
    assert all(a.kind is ActionKind.ALERT for a in store.told)


# --- the job itself ----------------------------------------------------------------------


@dataclass
class JobQueue:
    scheduled: list[tuple[float, str]] = field(default_factory=list)

    def run_once(self, callback: object, *, when: float, name: str, data: object) -> None:
        self.scheduled.append((when, name))


def job_context(watch: WatchService | None, queue: JobQueue) -> Context:
    ready = SimpleNamespace(set_calls=0)

    def note_set() -> None:
        ready.set_calls += 1

    services = SimpleNamespace(watcher=watch, outbox_ready=SimpleNamespace(set=note_set))
    context = SimpleNamespace(
        services=services,
        job=SimpleNamespace(data=WatchSchedule(30.0)),
        job_queue=queue,
        ready=ready,
    )
    return cast(Context, context)


async def test_the_job_wakes_the_outbox_and_schedules_the_next_check() -> None:
    queue = JobQueue()
    context = job_context(watcher(low_chain(ADDRESSES[:1]), store_of(ADDRESSES[:1])), queue)
    await check_watches(context)
    assert queue.scheduled == [(30.0, WATCH_JOB)]
    assert cast(Any, context).ready.set_calls == 1


async def test_the_next_check_is_scheduled_whatever_fails() -> None:
    queue = JobQueue()
    store = store_of(ADDRESSES[:1])
    store.down = True
    context = job_context(watcher(low_chain(ADDRESSES[:1]), store), queue)
    await check_watches(context)
    await check_watches(job_context(None, queue))  # no chain reads: nothing to check
    assert queue.scheduled == [(30.0, WATCH_JOB)] * 2
    assert cast(Any, context).ready.set_calls == 0


async def test_an_unknown_placing_counts_before_it_is_sent() -> None:
    # Before the submit path is called, the ledger already counts the order (a crash
    # during the submit cannot lead to a second order outside the budget).
    plan = AutoRentPlan("tronsave", 65_000, 3_600, 70, 10_000_000, 3)
    store = Store({0: Watch(0, 10, 20, ADDRESSES[0], THRESHOLD, plan=plan)})
    seen: list[AutoRentLedger] = []

    async def place(watch: Watch, plan: AutoRentPlan) -> PlaceResult:
        seen.append(store.items[0].ledger)
        return PlaceResult(PlaceStatus.PLACED, charge_sun=3_900_000)

    service = WatchService(
        low_chain(ADDRESSES[:1]), store, place=place, allowed=lambda u: True, clock=lambda: 0.0
    )
    await run_check(service)
    assert seen[0].orders == 1
    assert seen[0].spent_sun == plan.max_cost_sun
    assert store.items[0].ledger.spent_sun == 3_900_000  # then the real charge


async def test_the_provider_balance_is_asked_once_per_check() -> None:
    plan = AutoRentPlan("tronsave", 65_000, 3_600, 70, 10_000_000, 3)
    store = Store(
        {i: Watch(i, 10, 20, a, THRESHOLD, plan=plan) for i, a in enumerate(ADDRESSES[:4])}
    )
    asked: list[str] = []

    async def balance(provider: str) -> int | None:
        asked.append(provider)
        return 1_000  # too little for any order

    service = WatchService(
        low_chain(ADDRESSES[:4]),
        store,
        place=never_place,
        allowed=lambda u: True,
        clock=lambda: 0.0,
        provider_balance=balance,
    )
    await run_check(service)
    assert asked == ["tronsave"]  # four low watches, one balance call
    stops = [a for a in store.told if a.kind is ActionKind.AUTO_RENT_STOPPED]
    assert len(stops) == 4
    await run_check(service)
    assert asked == ["tronsave"] * 2  # asked afresh by the next check, told nothing again
    assert len([a for a in store.told if a.kind is ActionKind.AUTO_RENT_STOPPED]) == 4
