"""Request pacing: the one place that keeps calls to an outside API under its rate limits.

One `Pacer` is created per outside API (each provider, the TRON node) for the whole process
and shared by every client using it, so no two code paths can each think they own the budget.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


def key_fingerprint(api_key: str) -> str:
    """A short, non-reversible name for an API key, safe to log and to store."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


class Pacer:
    """At most one request per `min_interval` seconds for each key (e.g. key+endpoint).

    With `hold=True` the slot is held until the response arrives and the interval counts
    from then: the next request cannot reach the server less than `min_interval` after
    the previous one did, whatever the network does in between.
    """

    def __init__(
        self,
        min_interval: float,
        *,
        hold: bool,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.min_interval = min_interval
        self._hold = hold
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_at: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        if not self._hold:
            async with lock:
                await self._wait_turn(key)
                self._next_at[key] = self._clock() + self.min_interval
            yield
            return
        async with lock:
            await self._wait_turn(key)
            try:
                yield
            finally:
                self._next_at[key] = self._clock() + self.min_interval

    def push_back(self, key: str, seconds: float) -> None:
        """Delay the next request for `key` (after a 429, say)."""
        self._next_at[key] = max(self._next_at.get(key, 0.0), self._clock() + seconds)

    async def _wait_turn(self, key: str) -> None:
        target = self._next_at.get(key, 0.0)
        while (delay := target - self._clock()) > 0:
            await self._sleep(delay)
            # A push_back while we slept moved the time on: wait for that too.
            moved = self._next_at.get(key, 0.0)
            if moved <= target:
                return
            target = moved
