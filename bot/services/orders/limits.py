"""Spend limits, checked at submit before anything is sent: the order's worst-case
cost (amount x max price x receivers, SUN) against the per-order limit, and with what
the user committed today (UTC) against the daily limit (an admin's override first)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum

from bot.providers.port import OrderRequest
from bot.storage.repository import Repository

DAY = 86_400


class LimitKind(StrEnum):
    ORDER = "order"
    DAILY = "daily"


@dataclass(frozen=True)
class SpendLimits:
    """The operator's defaults in SUN; None: no limit of that kind."""

    max_order_sun: int | None = None
    daily_sun: int | None = None


@dataclass(frozen=True)
class LimitRefusal:
    """Why an order was refused before it was sent: the limit it broke (`limit_sun`), the
    daily limit in force and what the user may still spend today (both None: no daily
    limit); the daily count resets at `resets_at` (UTC)."""

    kind: LimitKind
    limit_sun: int
    cost_sun: int
    daily_sun: int | None
    left_sun: int | None
    resets_at: float


class SpendLimitExceeded(Exception):
    """Raised by submit, before any record or create call, when a limit refuses."""

    def __init__(self, refusal: LimitRefusal) -> None:
        super().__init__(f"{refusal.kind} limit")
        self.refusal = refusal


def order_cost_sun(request: OrderRequest) -> int:
    return request.amount * request.max_price * len(request.receivers)


def day_start(now: float) -> float:
    return float(int(now // DAY) * DAY)


def refusal(
    limits: SpendLimits, daily_sun: int | None, cost: int, spent: int, now: float
) -> LimitRefusal | None:
    """The limit this order breaks, if any (`daily_sun`: the daily limit in force)."""
    resets_at = day_start(now) + DAY
    left = None if daily_sun is None else max(daily_sun - spent, 0)
    if limits.max_order_sun is not None and cost > limits.max_order_sun:
        return LimitRefusal(
            LimitKind.ORDER, limits.max_order_sun, cost, daily_sun, left, resets_at
        )
    if daily_sun is not None and left is not None and cost > left:
        return LimitRefusal(LimitKind.DAILY, daily_sun, cost, daily_sun, left, resets_at)
    return None


class LimitGuard:
    """Checks and reserves a user's spend: `reserve` holds the user's lock while the
    check runs and the submission is recorded, so two presses cannot both pass the last
    TRX of a limit (the second one sees the first one's recorded submission)."""

    def __init__(self, repo: Repository, limits: SpendLimits) -> None:
        self._repo = repo
        self._limits = limits
        self._locks: dict[int, asyncio.Lock] = {}

    async def daily_limit(self, user_id: int) -> int | None:
        override = await self._repo.daily_override(user_id)
        return self._limits.daily_sun if override is None else override.daily_sun

    async def spent_today(self, user_id: int, now: float) -> int:
        return await self._repo.committed_since(user_id, day_start(now))

    @asynccontextmanager
    async def reserve(
        self, user_id: int, request: OrderRequest, now: float
    ) -> AsyncIterator[None]:
        """Raise SpendLimitExceeded, or let the caller record the submission under the
        user's lock."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            await self.check(user_id, request, now)
            yield

    async def check(self, user_id: int, request: OrderRequest, now: float) -> None:
        """Raise SpendLimitExceeded if the order breaks a limit now (reserves nothing:
        `reserve` checks again when the submission is recorded)."""
        daily = await self.daily_limit(user_id)
        spent = 0 if daily is None else await self.spent_today(user_id, now)
        refused = refusal(self._limits, daily, order_cost_sun(request), spent, now)
        if refused is not None:
            raise SpendLimitExceeded(refused)
