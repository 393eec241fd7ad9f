"""The bounded structures: keyed locks that free themselves, a bounded set, a rate limit."""

from __future__ import annotations

import asyncio

import pytest

from bot.bounded import BoundedSet, KeyedLocks, KeyedRateLimit
from bot.services.orders import NotYourOrder, OrderService
from bot.services.poller import Poller
from bot.storage.repository import Repository
from tests.support.clock import Clock


async def test_keyed_lock_serialises_one_key_in_request_order() -> None:
    locks: KeyedLocks[int] = KeyedLocks()
    order: list[int] = []

    async def worker(n: int) -> None:
        async with locks[7]:
            order.append(n)
            await asyncio.sleep(0.001 * (5 - n))  # earlier ones are slower
            order.append(n)

    await asyncio.gather(*(worker(n) for n in range(5)))
    assert order == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert len(locks) == 0  # nobody holds or waits: nothing is kept


async def test_keyed_lock_lets_different_keys_run_together() -> None:
    locks: KeyedLocks[str] = KeyedLocks()
    a_in, b_in = asyncio.Event(), asyncio.Event()

    async def a() -> None:
        async with locks["a"]:
            a_in.set()
            await b_in.wait()

    async def b() -> None:
        async with locks["b"]:
            b_in.set()
            await a_in.wait()

    await asyncio.wait_for(asyncio.gather(a(), b()), timeout=2)
    assert len(locks) == 0


async def test_keyed_lock_entry_lives_only_while_used_and_survives_errors() -> None:
    locks: KeyedLocks[int] = KeyedLocks()

    async def failing(key: int) -> None:
        async with locks[key]:
            assert locks.locked(key)
            raise RuntimeError("handler failed")

    for key in range(1000):
        with pytest.raises(RuntimeError, match="handler failed"):
            await failing(key)
    assert len(locks) == 0
    assert not locks.locked(1)


async def test_keyed_lock_cancelled_waiter_frees_its_share() -> None:
    locks: KeyedLocks[int] = KeyedLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks[1]:
            await release.wait()

    async def waiter() -> None:
        async with locks[1]:
            pass

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await held
    assert len(locks) == 0


def test_bounded_set_forgets_the_oldest_beyond_maxsize() -> None:
    seen: BoundedSet[tuple[int, str]] = BoundedSet(maxsize=3)
    for n in range(3):
        seen.add((n, "x"))
    seen.add((0, "x"))  # re-adding refreshes it
    seen.add((3, "x"))
    assert len(seen) == 3
    assert (1, "x") not in seen
    assert {(0, "x"), (2, "x"), (3, "x")} == set(seen)
    seen.discard((0, "x"))
    seen.discard((42, "x"))
    assert (0, "x") not in seen
    for n in range(10_000):
        seen.add((n, "y"))
    assert len(seen) == 3


def test_bounded_set_rejects_a_useless_size() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        BoundedSet[int](maxsize=0)


def test_rate_limit_per_key_window() -> None:
    clock = Clock(1000.0)
    limit: KeyedRateLimit[int] = KeyedRateLimit(per_key=2, overall=100, window=60, clock=clock)
    assert [limit.allow(1) for _ in range(4)] == [True, True, False, False]
    assert limit.allow(2)  # another key has its own budget
    clock.now += 59
    assert not limit.allow(1)
    clock.now += 1
    assert limit.allow(1)  # a new window


def test_rate_limit_overall_caps_many_keys() -> None:
    clock = Clock(0.0)
    limit: KeyedRateLimit[int] = KeyedRateLimit(per_key=1, overall=5, window=60, clock=clock)
    allowed = [limit.allow(key) for key in range(100)]
    assert allowed == [True] * 5 + [False] * 95
    clock.now += 60
    assert limit.allow(500)


def test_rate_limit_remembers_at_most_maxsize_keys() -> None:
    clock = Clock(0.0)
    limit: KeyedRateLimit[int] = KeyedRateLimit(
        per_key=1, overall=10**9, window=60, maxsize=50, clock=clock
    )
    for key in range(10_000):
        limit.allow(key)
    assert len(limit) == 50
    assert not limit.allow(9_999)  # a recent key is still remembered


def test_rate_limit_overall_window_is_its_own() -> None:
    clock = Clock(0.0)
    limit: KeyedRateLimit[int] = KeyedRateLimit(
        per_key=1, window=600, overall=2, overall_window=10, clock=clock
    )
    assert [limit.allow(k) for k in (1, 2, 3)] == [True, True, False]
    clock.now += 10
    assert limit.allow(3)  # the overall window moved on
    assert not limit.allow(1)  # the per-key one has not


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_key": 0, "overall": 1, "window": 1},
        {"per_key": 1, "overall": 0, "window": 1},
        {"per_key": 1, "overall": 1, "window": 0},
        {"per_key": 1, "overall": 1, "window": 1, "maxsize": 0},
        {"per_key": 1, "overall": 1, "window": 1, "overall_window": 0},
    ],
)
def test_rate_limit_rejects_useless_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        KeyedRateLimit[int](**kwargs)  # type: ignore[arg-type]


async def test_order_service_keeps_no_lock_for_idle_chats(repo: Repository) -> None:
    service = OrderService(repo, {})
    for chat in range(200):
        with pytest.raises(NotYourOrder):  # a button naming an order that is not there
            await service.cancel(chat_id=chat, order_ids=[10_000 + chat])
    assert len(service._actions._chat_locks) == 0


def test_poller_memory_of_warnings_is_bounded(repo: Repository) -> None:
    poller = Poller(OrderService(repo, {}), deadline_grace=60)
    assert isinstance(poller._warned_raw, BoundedSet)
    for order_id in range(10_000):
        poller._warned_raw.add((order_id, "weird"))
    assert len(poller._warned_raw) == poller._warned_raw.maxsize
