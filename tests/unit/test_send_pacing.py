"""Sends paced on rolling windows: Telegram's own rules (the stand-in's `SendLimiter`,
on the same virtual clock) never refuse one, however long each request takes; replies go
ahead of pushes; a 429 that still comes is retried by AIORateLimiter."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from telegram.error import RetryAfter

from benchmarks.measure import rolling_max
from bot.telegram.send_pacing import (
    PacedRateLimiter,
    SendLimits,
    SendPacer,
    Window,
    background_sends,
)
from testkit.telegram_limits import SendLimiter
from tests.support.virtual_time import VirtualTime

GROUP = -100_500


class Telegram:
    """Stamps each send at a random moment of its round trip, as a server would, and
    asks the stand-in's rules whether Telegram would have taken it."""

    def __init__(self, vt: VirtualTime, pacer: SendPacer, *, seed: int = 1) -> None:
        self.vt = vt
        self.pacer = pacer
        self.rules = SendLimiter(clock=vt.clock)
        self.stamps: dict[int, list[float]] = {}
        self.refused = 0
        self._random = random.Random(seed)

    def send(
        self, chat: int, *, background: bool = False, rtt: float | None = None
    ) -> Callable[[], Coroutine[Any, Any, float]]:
        async def one() -> float:
            trip = self._random.uniform(0.005, 0.4) if rtt is None else rtt
            there = self._random.uniform(0.0, trip)
            async with self.pacer.slot(chat, background=background):
                started = self.vt.now
                await self.vt.sleep(there)
                if self.rules.admit(chat) is None:
                    self.stamps.setdefault(chat, []).append(self.vt.now)
                else:
                    self.refused += 1
                await self.vt.sleep(trip - there)
            return started

        return one

    def all_stamps(self) -> list[float]:
        return [at for stamps in self.stamps.values() for at in stamps]


async def test_no_rolling_second_holds_more_than_30_whatever_the_round_trips() -> None:
    vt = VirtualTime()
    tg = Telegram(vt, SendPacer(clock=vt.clock, sleep=vt.sleep))
    await vt.run(*(tg.send(chat)() for chat in range(1, 301)))
    assert tg.refused == 0
    stamps = tg.all_stamps()
    assert len(stamps) == 300
    assert rolling_max(stamps, 1.0) <= 30
    # Still close to the limit: 300 sends at 30 per (1 s + a round trip of at most 0.4 s).
    assert max(stamps) - min(stamps) < 300 / 30 * 1.4


async def test_a_burst_of_60_is_not_let_through_in_one_second_as_a_leaky_bucket_would() -> None:
    vt = VirtualTime()
    tg = Telegram(vt, SendPacer(clock=vt.clock, sleep=vt.sleep))
    starts = await vt.run(*(tg.send(chat, rtt=0.01)() for chat in range(1, 61)))
    assert sorted(starts)[29] < 0.01  # the first 30 at once
    assert sorted(starts)[30] >= 1.0  # the 31st only once the first has left the window
    assert tg.refused == 0


async def test_a_group_gets_at_most_20_per_rolling_minute() -> None:
    vt = VirtualTime()
    tg = Telegram(vt, SendPacer(clock=vt.clock, sleep=vt.sleep))
    others = [tg.send(chat)() for chat in range(1, 40)]
    await vt.run(*(tg.send(GROUP)() for _ in range(45)), *others)
    group = tg.stamps[GROUP]
    assert len(group) == 45
    assert rolling_max(group, 60.0) <= 20
    assert tg.refused == 0
    # The group's wait holds up no other chat.
    assert max(tg.all_stamps()) > 120
    assert max(at for chat, s in tg.stamps.items() if chat != GROUP for at in s) < 3.0


async def test_a_private_chat_gets_a_short_burst_then_about_one_per_second() -> None:
    vt = VirtualTime()
    tg = Telegram(vt, SendPacer(clock=vt.clock, sleep=vt.sleep))
    await vt.run(*(tg.send(7)() for _ in range(10)))
    assert tg.refused == 0
    assert rolling_max(tg.stamps[7], 3.0) <= 3


async def test_replies_go_ahead_of_a_waiting_push_wave() -> None:
    vt = VirtualTime()
    tg = Telegram(vt, SendPacer(clock=vt.clock, sleep=vt.sleep))
    pushes = [tg.send(chat, background=True, rtt=0.05)() for chat in range(1, 151)]

    async def reply() -> float:
        await vt.sleep(0.5)  # the wave is queued by then
        return await tg.send(9_999, rtt=0.05)()

    *push_starts, reply_start = await vt.run(*pushes, reply())
    assert isinstance(reply_start, float)
    # The reply takes the first place that frees up, not the 121st.
    assert 1.0 <= reply_start < 1.1
    assert sum(1 for s in push_starts if isinstance(s, float) and s < reply_start) == 30
    assert tg.refused == 0


async def test_a_cancelled_wait_leaves_no_place_taken() -> None:
    vt = VirtualTime()
    pacer = SendPacer(SendLimits(overall=Window(1, 1.0)), clock=vt.clock, sleep=vt.sleep)
    tg = Telegram(vt, pacer)

    async def scenario() -> float:
        first = asyncio.ensure_future(tg.send(1, rtt=0.1)())
        doomed = asyncio.ensure_future(tg.send(2, rtt=0.1)())
        await vt.sleep(0.05)
        doomed.cancel()
        await first
        return await tg.send(3, rtt=0.1)()

    (third,) = await vt.run(scenario())
    assert third == pytest.approx(1.1, abs=0.01)  # right after the first, not the doomed one
    assert pacer.waiting == 0


async def test_paced_limiter_still_retries_a_429_and_paces_each_attempt() -> None:
    limiter = PacedRateLimiter(max_retries=2)
    calls: list[str] = []

    async def send(text: str) -> dict[str, Any]:
        calls.append(text)
        if len(calls) == 1:
            raise RetryAfter(0)  # Telegram's flood control; PTB waits retry_after + 0.1 s
        return {"ok": text}

    answer = await limiter.process_request(send, ("hi",), {}, "sendMessage", {"chat_id": 5}, None)
    assert answer == {"ok": "hi"}
    assert calls == ["hi", "hi"]
    # Both attempts counted against the windows (a refused send is not free for us).
    assert len(limiter.pacer._counts["overall"].done) == 2


async def test_paced_limiter_gives_up_after_its_retries() -> None:
    limiter = PacedRateLimiter(max_retries=1)

    async def send() -> bool:
        raise RetryAfter(0)

    with pytest.raises(RetryAfter):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5}, None)


async def test_background_sends_are_marked_through_the_limiter() -> None:
    pacer = SendPacer(SendLimits(overall=Window(1, 0.2)))
    limiter = PacedRateLimiter(pacer)
    order: list[str] = []

    async def send(text: str) -> bool:
        order.append(text)
        await asyncio.sleep(0.01)
        return True

    async def push(text: str) -> None:
        with background_sends():
            await limiter.process_request(send, (text,), {}, "sendMessage", {"chat_id": 1}, None)

    async def reply() -> None:
        await asyncio.sleep(0.05)
        await limiter.process_request(send, ("reply",), {}, "sendMessage", {"chat_id": 2}, None)

    await asyncio.gather(*(push(f"push{i}") for i in range(3)), reply())
    assert order == ["push0", "reply", "push1", "push2"]


async def test_requests_without_a_chat_are_not_paced() -> None:
    pacer = SendPacer(SendLimits(overall=Window(1, 60.0)))
    limiter = PacedRateLimiter(pacer)

    async def call() -> bool:
        return True

    for _ in range(5):
        assert await limiter.process_request(call, (), {}, "answerCallbackQuery", {}, None)
