"""Virtual time for code that takes `clock` and `sleep`: nothing really waits, time jumps
to the next sleeper once every task is idle, so timestamps are exact."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any


class VirtualTime:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(delay, 0.0), next(self._seq), future))
        await future

    @staticmethod
    async def _settle() -> None:
        for _ in range(50):
            await asyncio.sleep(0)

    async def run(self, *coros: Coroutine[Any, Any, Any]) -> list[Any]:
        """Run `coros` to the end on virtual time; their results, in order."""
        tasks = [asyncio.create_task(c) for c in coros]
        while True:
            await self._settle()
            if all(task.done() for task in tasks):
                break
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # a cancelled sleep
            assert self._sleepers, "deadlock: tasks wait but nobody sleeps"
            wake_at = self._sleepers[0][0]
            self.now = max(self.now, wake_at)
            while self._sleepers and self._sleepers[0][0] <= wake_at:
                future = heapq.heappop(self._sleepers)[2]
                if not future.done():
                    future.set_result(None)
        return [task.result() for task in tasks]
