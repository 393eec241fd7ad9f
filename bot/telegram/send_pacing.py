"""Pacing of the bot's sends so that no rolling window holds more than Telegram allows:
30 per second overall, 20 per minute in one group, and in one private chat a short burst
then about one per second (Bots FAQ; the burst of 3 in 3 s is our reading).

PTB's `AIORateLimiter` paces with a leaky bucket (aiolimiter): a burst of 30 goes through
and then 30 per second, so up to about 60 sends can fall into one rolling second and
Telegram answers 429. Here each send holds its place in every window it counts against
from the moment it goes out until one window length after its answer came back. Telegram
stamped it somewhere in between, so whatever the network does to the requests, no window
on Telegram's clock can hold more than the limit; the price is one round trip per window
(30 sends per 1.03 s at a 30 ms round trip).

`AIORateLimiter` stays the retry layer for the 429 that still comes (a limit we do not
know, another process on the same token): `PacedRateLimiter` is one with its own limits
switched off, and every attempt it makes, the first and each retry, waits for a place here.

Replies to users go first: a big push wave must not starve them. The outbox marks its
sends as background (`background_sends()`), and a free place goes to the oldest waiting
reply before any background send. A send held back only by its own chat's window does not
hold up sends to other chats.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import AIORateLimiter

ChatKey = int | str


@dataclass(frozen=True)
class Window:
    limit: int  # sends
    seconds: float  # in any rolling window this long


@dataclass(frozen=True)
class SendLimits:
    overall: Window = Window(30, 1.0)
    group: Window = Window(20, 60.0)  # negative ids and @usernames (groups, channels)
    private: Window = Window(3, 3.0)  # never more than Telegram's 1/s after a burst of 3


_OVERALL = "overall"
_PRUNE_ABOVE = 2048  # chat windows kept before idle ones are dropped
_EPSILON = 0.001  # a timer never fires before the window has really moved on


class _Count:
    """The sends one window counts: those in flight, and when the others were answered."""

    __slots__ = ("done", "inflight")

    def __init__(self) -> None:
        self.inflight = 0
        self.done: deque[float] = deque()  # answer times, oldest first

    def free_at(self, now: float, window: Window) -> float | None:
        """When one more send fits (`now` if it does); None if only an answer can free a
        place (every place is held by a send still in flight)."""
        while self.done and self.done[0] <= now - window.seconds:
            self.done.popleft()
        excess = self.inflight + len(self.done) - window.limit + 1
        if excess <= 0:
            return now
        if excess > len(self.done):
            return None
        return self.done[excess - 1] + window.seconds

    def idle(self, now: float, window: Window) -> bool:
        return self.inflight == 0 and (not self.done or self.done[-1] <= now - window.seconds)


@dataclass(order=True)
class _Waiter:
    rank: tuple[int, int]  # (0 for a reply, 1 for a background send; arrival)
    windows: tuple[tuple[object, Window], ...] = field(compare=False)
    admitted: asyncio.Future[None] = field(compare=False)


class SendPacer:
    """Admits sends under the rolling windows of `SendLimits` (see the module doc)."""

    def __init__(
        self,
        limits: SendLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits or SendLimits()
        self._clock = clock
        self._sleep = sleep
        self._counts: dict[object, _Count] = {}
        self._waiting: list[_Waiter] = []  # by rank
        self._arrivals = itertools.count()
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf

    @contextlib.asynccontextmanager
    async def slot(self, chat: ChatKey | None, *, background: bool = False) -> AsyncIterator[None]:
        """Hold a place for one send to `chat` (None: counted overall only) while it runs."""
        windows = self._windows(chat)
        await self._acquire(windows, background)
        try:
            yield
        finally:
            self._release(windows)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def close(self) -> None:
        """Cancel the pending timer (at shutdown, when nothing is sent any more)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf

    def _windows(self, chat: ChatKey | None) -> tuple[tuple[object, Window], ...]:
        overall = (_OVERALL, self.limits.overall)
        if chat is None:
            return (overall,)
        group = isinstance(chat, str) or chat < 0  # "@name" only works for groups/channels
        return overall, (("chat", chat), self.limits.group if group else self.limits.private)

    async def _acquire(self, windows: tuple[tuple[object, Window], ...], background: bool) -> None:
        admitted = asyncio.get_running_loop().create_future()
        waiter = _Waiter((int(background), next(self._arrivals)), windows, admitted)
        bisect.insort(self._waiting, waiter)
        self._pump()
        try:
            await admitted
        except asyncio.CancelledError:
            if admitted.done() and not admitted.cancelled():
                self._release(windows)  # admitted, then cancelled before it could send
            else:
                admitted.cancel()
                with contextlib.suppress(ValueError):
                    self._waiting.remove(waiter)
                self._pump()
            raise

    def _release(self, windows: tuple[tuple[object, Window], ...]) -> None:
        now = self._clock()
        for key, _ in windows:
            count = self._counts[key]
            count.inflight -= 1
            count.done.append(now)
        self._pump()

    def _count(self, key: object) -> _Count:
        count = self._counts.get(key)
        if count is None:
            count = self._counts[key] = _Count()
        return count

    def _pump(self) -> None:
        """Admit every waiter that fits now, in rank order; arm a timer for the next."""
        now = self._clock()
        wake = math.inf
        still: list[_Waiter] = []
        overall_full = False
        for waiter in self._waiting:
            if waiter.admitted.done():
                continue  # cancelled
            if overall_full:
                still.append(waiter)  # nobody may overtake a waiter on the overall window
                continue
            times = [self._count(key).free_at(now, window) for key, window in waiter.windows]
            if all(at is not None and at <= now for at in times):
                for key, _ in waiter.windows:
                    self._count(key).inflight += 1
                waiter.admitted.set_result(None)
                continue
            still.append(waiter)
            first = times[0]
            overall_full = first is None or first > now
            if overall_full and first is not None:
                wake = min(wake, first)  # the waiters behind may fit then
            if None not in times:
                wake = min(wake, max(at for at in times if at is not None))
        self._waiting = still
        if len(self._counts) > _PRUNE_ABOVE:
            self._prune(now)
        if wake < math.inf:
            self._arm(wake, now)

    def _prune(self, now: float) -> None:
        longest = max(self.limits.group.seconds, self.limits.private.seconds)
        busy = {key for w in self._waiting for key, _ in w.windows}
        for key in [k for k, c in self._counts.items() if k != _OVERALL and k not in busy]:
            if self._counts[key].idle(now, Window(1, longest)):
                del self._counts[key]

    def _arm(self, at: float, now: float) -> None:
        if self._timer is not None and not self._timer.done():
            if self._timer_at <= at:
                return
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().create_task(
            self._wake(at - now + _EPSILON), name="telegram-send-pacer"
        )

    async def _wake(self, delay: float) -> None:
        await self._sleep(max(delay, 0.0))
        self._timer, self._timer_at = None, math.inf
        self._pump()


_BACKGROUND: ContextVar[bool] = ContextVar("telegram_background_send", default=False)


@contextlib.contextmanager
def background_sends() -> Iterator[None]:
    """Sends made inside yield to replies (the outbox's pushes)."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


def chat_key(chat_id: object) -> ChatKey | None:
    """The chat a request counts against, as PTB's limiter reads `chat_id`."""
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str):
        try:
            return int(chat_id)
        except ValueError:
            return chat_id
    return None


_Answer = bool | dict[str, Any] | list[dict[str, Any]]


class PacedRateLimiter(AIORateLimiter):
    """`AIORateLimiter` as the retry layer (a 429 halts every send for its retry_after,
    then the request is tried again, `max_retries` times), its own leaky buckets off, each
    attempt paced by `SendPacer`."""

    def __init__(self, pacer: SendPacer | None = None, *, max_retries: int = 3) -> None:
        super().__init__(
            overall_max_rate=0,
            overall_time_period=0,
            group_max_rate=0,
            group_time_period=0,
            max_retries=max_retries,
        )
        self.pacer = pacer or SendPacer()

    async def shutdown(self) -> None:
        self.pacer.close()

    async def process_request(  # noqa: PLR0917 (PTB's signature)
        self,
        callback: Callable[..., Coroutine[Any, Any, _Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> _Answer:
        if "chat_id" not in data:  # as PTB: only requests naming a chat are limited
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        chat = chat_key(data.get("chat_id"))
        background = _BACKGROUND.get()

        async def paced(*a: Any, **kw: Any) -> _Answer:
            async with self.pacer.slot(chat, background=background):
                return await callback(*a, **kw)

        return await super().process_request(paced, args, kwargs, endpoint, data, rate_limit_args)
