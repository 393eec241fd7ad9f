"""Taking turns at a paced outside API: a few keys per cycle, within a time budget.

The chain services (watched addresses, automatic confirmation) each have more to read
than one cycle should spend on the node. Each cycle reads up to `per_cycle` keys, starting after
the last one read, until its time budget is spent; a key not reached goes first next time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Generic, Protocol, Self, TypeVar


class _Ordered(Protocol):
    def __lt__(self, other: Self, /) -> bool: ...


K = TypeVar("K", bound=_Ordered)


class RoundRobin(Generic[K]):
    """Picks up to `n` keys per cycle, starting after the last one picked."""

    def __init__(self) -> None:
        self._last: K | None = None

    def pick(self, keys: Iterable[K], n: int) -> list[K]:
        ordered = sorted(set(keys))
        if not ordered:
            return []
        start = 0
        if self._last is not None:
            last = self._last
            start = next((i for i, k in enumerate(ordered) if last < k), 0)
        return (ordered[start:] + ordered[:start])[:n]

    def done(self, key: K) -> None:
        """Mark `key` read: only what was actually read counts as its turn."""
        self._last = key


class Turns(Generic[K]):
    """Up to `per_cycle` keys a cycle, in turn, within `budget_seconds`; `name` is the
    caller's word for `per_cycle` in the error a bad value raises."""

    def __init__(self, per_cycle: int, budget_seconds: float, *, name: str) -> None:
        if per_cycle < 1:
            raise ValueError(f"{name} must be at least 1")
        self.per_cycle = per_cycle
        self.budget_seconds = budget_seconds
        self._order = RoundRobin[K]()

    async def take(self, keys: Iterable[K], visit: Callable[[K], Awaitable[None]]) -> bool:
        """Visit this cycle's share of `keys` one at a time (the API's pace is the limit,
        not our concurrency); False if the budget ran out first."""
        try:
            async with asyncio.timeout(self.budget_seconds):
                for key in self._order.pick(keys, self.per_cycle):
                    await visit(key)
                    self._order.done(key)
        except TimeoutError:
            return False
        return True
