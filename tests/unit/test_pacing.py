"""Request pacing on virtual time: no real sleeping, exact timestamps."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.net.pacing import Pacer, key_fingerprint


class VirtualTime:
    """A clock and a sleep(); time jumps to the next sleeper once every task is idle."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self.pacer_sleeps: list[tuple[float, float]] = []  # (when, how long)

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(delay, 0.0), next(self._seq), future))
        await future

    async def pacer_sleep(self, delay: float) -> None:
        self.pacer_sleeps.append((self.now, delay))
        await self.sleep(delay)

    async def _settle(self) -> None:
        for _ in range(50):
            await asyncio.sleep(0)

    async def run(self, *coros: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.create_task(c) for c in coros]
        while True:
            await self._settle()
            if all(task.done() for task in tasks):
                break
            assert self._sleepers, "deadlock: tasks wait but nobody sleeps"
            wake_at = self._sleepers[0][0]
            self.now = wake_at
            while self._sleepers and self._sleepers[0][0] == wake_at:
                heapq.heappop(self._sleepers)[2].set_result(None)
        for task in tasks:
            task.result()

    def pacer(self, interval: float, *, hold: bool) -> Pacer:
        return Pacer(interval, hold=hold, clock=self.clock, sleep=self.pacer_sleep)


@dataclass
class Log:
    spans: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def starts(self, key: str) -> list[float]:
        return [start for start, _ in self.spans[key]]


def requester(
    vt: VirtualTime,
    pacer: Pacer,
    log: Log,
    key: str,
    duration: float,
    *,
    after: Callable[[], None] | None = None,
    delay_start: float = 0.0,
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def request() -> None:
        if delay_start:
            await vt.sleep(delay_start)
        async with pacer.slot(key):
            start = vt.now
            await vt.sleep(duration)
            log.spans.setdefault(key, []).append((start, vt.now))
        if after is not None:
            after()

    return request


async def test_hold_spaces_from_the_end_of_the_previous_request() -> None:
    vt = VirtualTime()
    pacer = vt.pacer(5.0, hold=True)
    log = Log()

    async def sequence() -> None:
        for duration in (2.0, 3.0, 1.0):
            await requester(vt, pacer, log, "k", duration)()

    await vt.run(sequence())
    assert log.spans["k"] == [(0.0, 2.0), (7.0, 10.0), (15.0, 16.0)]
    assert vt.pacer_sleeps == [(2.0, 5.0), (10.0, 5.0)]


async def test_hold_no_wait_when_interval_already_passed() -> None:
    vt = VirtualTime()
    pacer = vt.pacer(5.0, hold=True)
    log = Log()
    first = requester(vt, pacer, log, "k", 1.0)
    late = requester(vt, pacer, log, "k", 1.0, delay_start=20.0)
    await vt.run(first(), late())
    assert log.starts("k") == [0.0, 20.0]
    assert vt.pacer_sleeps == []


async def test_hold_concurrent_tasks_never_overlap() -> None:
    vt = VirtualTime()
    interval = 4.0
    pacer = vt.pacer(interval, hold=True)
    log = Log()
    durations = [3.0, 0.5, 7.0, 1.0, 2.5, 0.0, 6.0, 1.5]
    await vt.run(*(requester(vt, pacer, log, "k", d)() for d in durations))
    spans = sorted(log.spans["k"])
    assert len(spans) == len(durations)
    # Each request began exactly `interval` after the previous one ended.
    for (_, prev_end), (start, _) in itertools.pairwise(spans):
        assert start == prev_end + interval
    # FIFO: the lock hands the slot over in arrival order.
    assert [end - start for start, end in spans] == durations


async def test_hold_keys_are_independent() -> None:
    vt = VirtualTime()
    pacer = vt.pacer(10.0, hold=True)
    log = Log()
    await vt.run(
        requester(vt, pacer, log, "a", 2.0)(),
        requester(vt, pacer, log, "b", 3.0)(),
        requester(vt, pacer, log, "a", 2.0)(),
        requester(vt, pacer, log, "b", 3.0)(),
    )
    assert log.spans["a"] == [(0.0, 2.0), (12.0, 14.0)]
    assert log.spans["b"] == [(0.0, 3.0), (13.0, 16.0)]


async def test_no_hold_spaces_starts_and_lets_requests_overlap() -> None:
    vt = VirtualTime()
    pacer = vt.pacer(1.0, hold=False)
    log = Log()
    await vt.run(*(requester(vt, pacer, log, "k", 10.0)() for _ in range(4)))
    assert log.spans["k"] == [(0.0, 10.0), (1.0, 11.0), (2.0, 12.0), (3.0, 13.0)]


async def test_no_hold_interval_counts_from_start_not_end() -> None:
    vt = VirtualTime()
    pacer = vt.pacer(5.0, hold=False)
    log = Log()

    async def sequence() -> None:
        for _ in range(3):
            await requester(vt, pacer, log, "k", 2.0)()

    await vt.run(sequence())
    assert log.starts("k") == [0.0, 5.0, 10.0]


async def test_no_hold_keys_are_independent() -> None:
    vt = VirtualTime()
    pacer = vt.pacer(2.0, hold=False)
    log = Log()
    await vt.run(*(requester(vt, pacer, log, key, 0.5)() for key in ("a", "b", "a", "b", "a")))
    assert log.starts("a") == [0.0, 2.0, 4.0]
    assert log.starts("b") == [0.0, 2.0]


@pytest.mark.parametrize("hold", [True, False])
async def test_push_back_delays_the_next_slot(hold: bool) -> None:
    vt = VirtualTime()
    pacer = vt.pacer(1.0, hold=hold)
    log = Log()

    async def sequence() -> None:
        await requester(vt, pacer, log, "k", 0.5, after=lambda: pacer.push_back("k", 30.0))()
        await requester(vt, pacer, log, "k", 0.5)()

    await vt.run(sequence())
    assert log.starts("k") == [0.0, 30.5]


@pytest.mark.parametrize("hold", [True, False])
async def test_push_back_never_shortens_the_wait(hold: bool) -> None:
    vt = VirtualTime()
    pacer = vt.pacer(10.0, hold=hold)
    log = Log()

    async def sequence() -> None:
        await requester(vt, pacer, log, "k", 1.0, after=lambda: pacer.push_back("k", 0.1))()
        await requester(vt, pacer, log, "k", 1.0)()

    await vt.run(sequence())
    assert log.starts("k")[1] == (11.0 if hold else 10.0)


async def test_push_back_on_a_fresh_key_delays_the_first_request() -> None:
    vt = VirtualTime()
    pacer = vt.pacer(1.0, hold=True)
    log = Log()
    pacer.push_back("k", 12.0)
    await vt.run(requester(vt, pacer, log, "k", 1.0)(), requester(vt, pacer, log, "other", 1.0)())
    assert log.starts("k") == [12.0]
    assert log.starts("other") == [0.0]


@pytest.mark.parametrize("hold", [True, False])
async def test_push_back_reaches_a_request_already_waiting(hold: bool) -> None:
    # B is already asleep waiting for its slot when A is told to back off (a 429):
    # B, and C after it, must honour the new time rather than the one B read earlier.
    vt = VirtualTime()
    pacer = vt.pacer(1.0, hold=hold)
    log = Log()
    backoff = lambda: pacer.push_back("k", 10.0)  # noqa: E731
    a = requester(vt, pacer, log, "k", 0.5, after=backoff)
    b = requester(vt, pacer, log, "k", 0.1, delay_start=0.2)
    c = requester(vt, pacer, log, "k", 0.1, delay_start=0.3)
    await vt.run(a(), b(), c())
    starts = log.starts("k")
    assert starts[0] == 0.0
    assert starts[1] >= 10.5
    assert starts[2] >= starts[1] + 1.0 - 1e-9


async def test_real_clock_defaults_work() -> None:
    pacer = Pacer(0.01, hold=True)
    loop = asyncio.get_running_loop()
    starts: list[float] = []
    for _ in range(3):
        async with pacer.slot("k"):
            starts.append(loop.time())
    assert starts[1] - starts[0] >= 0.009
    assert starts[2] - starts[1] >= 0.009


async def test_exception_inside_slot_still_releases_and_paces() -> None:
    vt = VirtualTime()
    pacer = vt.pacer(3.0, hold=True)
    seen: list[float] = []

    async def failing() -> None:
        async with pacer.slot("k"):
            await vt.sleep(1.0)
            raise RuntimeError("boom")

    async def after() -> None:
        await vt.sleep(0.5)
        async with pacer.slot("k"):
            seen.append(vt.now)

    with pytest.raises(RuntimeError, match="boom"):
        await vt.run(failing(), after())
    assert seen == [4.0]


def test_key_fingerprint() -> None:
    fp = key_fingerprint("secret-api-key-123")
    assert len(fp) == 12
    assert all(c in "0123456789abcdef" for c in fp)
    assert fp == key_fingerprint("secret-api-key-123")
    assert fp != key_fingerprint("secret-api-key-124")
    assert "secret" not in fp
