"""Quotes shared across users: one provider call serves every chat asking for the same
amount and duration at about the same time.

A provider's price call is paced (TronSave: one estimate per 2 s per key), so a call per
summary makes the n-th of n users wait n pacing intervals. Here the price of ONE
receiver (`EnergyProvider.price`) is asked once per (provider, key, amount, duration):
callers arriving while it is in flight wait for that same call (single flight), and
an answer is reused for `QUOTE_FRESH_SECONDS`. Each chat's Quote is then computed from
it for that chat's receiver count (`quote_for`). Balances (`EnergyProvider.balance`,
TronSave's `/v2/user-info` at its own 15 requests/s) are shared the same way.

A failed call is not kept: the callers that waited for it get the error, the next
caller asks again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.domain import ProviderName
from bot.providers.errors import ProviderError
from bot.providers.port import Balance, EnergyProvider, OrderRequest, PriceQuote, Quote, Refusal
from bot.services.orders.adapters import Adapters

log = logging.getLogger(__name__)

# How long a price answer is reused. TronSave answers one estimate per 2 s per key, so a
# fresher price could not be had anyway; a little more than that lets a burst that
# straddles one pacing interval still share one call, and keeps the price a summary shows
# at most a few seconds old. Nothing is bought at this price: the create call carries the
# user's max price (TronSave refuses above it) and Feee's price is checked again right
# before each order, so a price that moved since only shows, it never overspends.
QUOTE_FRESH_SECONDS = 3.0
# How long a balance answer is reused: the same few seconds; it is dropped at once when an
# order is sent with that key, so a summary after one's own order shows the new balance.
BALANCE_FRESH_SECONDS = 3.0

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


@dataclass(frozen=True)
class _Kept(Generic[_V]):
    at: float
    value: _V


class SharedCall(Generic[_K, _V]):
    """Single flight with a freshness window, per key: concurrent `get`s of a key share
    one in-flight call, and its answer serves later `get`s for `fresh` seconds. A caller
    that gives up (cancelled) does not cancel the call the others wait for."""

    def __init__(self, fresh: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._fresh = fresh
        self._clock = clock
        self._kept: dict[_K, _Kept[_V]] = {}
        self._flying: dict[_K, asyncio.Future[_V]] = {}
        self.calls = 0  # calls made (for tests and logs)

    async def get(self, key: _K, fetch: Callable[[], Awaitable[_V]], *, reuse: bool = True) -> _V:
        """The answer for `key`: a kept one still fresh (unless `reuse` is False), else
        the call in flight, else a new call."""
        kept = self._kept.get(key)
        if reuse and kept is not None and self._clock() - kept.at < self._fresh:
            return kept.value
        flying = self._flying.get(key)
        if flying is None:
            flying = asyncio.ensure_future(self._call(key, fetch))
            # Retrieved here too: an error nobody waits for any more is not "unretrieved".
            flying.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._flying[key] = flying
        return await asyncio.shield(flying)

    def forget(self, key: _K) -> None:
        """The kept answer is stale from now on (a call in flight still lands)."""
        self._kept.pop(key, None)

    async def _call(self, key: _K, fetch: Callable[[], Awaitable[_V]]) -> _V:
        self.calls += 1
        try:
            value = await fetch()
        finally:
            del self._flying[key]
        now = self._clock()
        # Expired answers go as new ones come, so the cache stays as small as the traffic.
        for old in [k for k, v in self._kept.items() if now - v.at >= self._fresh]:
            del self._kept[old]
        self._kept[key] = _Kept(now, value)
        return value


def quote_for(price: PriceQuote, balance_sun: int | None, request: OrderRequest) -> Quote:
    """One chat's quote from the shared one-receiver price: the total for its receivers
    (integer SUN), whether they can all be matched now, and the balance."""
    count = len(request.receivers)
    available = price.receivers_available
    can_match: bool | None
    if available is not None:
        can_match = available >= count
    elif price.can_match_one is False:
        can_match = False  # not even one
    else:
        can_match = price.can_match_one if count == 1 else None
    return Quote(
        provider=price.provider,
        unit_price_sun=price.unit_price_sun,
        total_sun=price.receiver_sun * count,
        balance_sun=balance_sun if balance_sun is not None else price.balance_sun,
        can_match=can_match,
        receivers_available=available,
    )


QuoteAnswer = Quote | Refusal | ProviderError


class QuoteService:
    def __init__(self, adapters: Adapters, *, clock: Callable[[], float] = time.monotonic):
        self._adapters = adapters
        self.prices: SharedCall[tuple[str, str, int, int], PriceQuote] = SharedCall(
            QUOTE_FRESH_SECONDS, clock=clock
        )
        self.balance_calls: SharedCall[tuple[str, str], Balance] = SharedCall(
            BALANCE_FRESH_SECONDS, clock=clock
        )

    async def quotes(self, request: OrderRequest) -> dict[ProviderName, QuoteAnswer]:
        """Every provider's answer for this request, fetched side by side; a provider's
        error is its answer."""
        names = self._adapters.names()
        answers = await asyncio.gather(*(self.quote(self._adapters[n], request) for n in names))
        return dict(zip(names, answers, strict=True))

    async def quote(self, adapter: EnergyProvider, request: OrderRequest) -> QuoteAnswer:
        reason = adapter.check_request(request)
        if reason is not None:
            return Refusal(adapter.name, reason)
        price, balance = await asyncio.gather(
            self._price(adapter, request), self.balance(adapter), return_exceptions=True
        )
        if isinstance(price, BaseException):
            if isinstance(price, ProviderError):
                return price
            raise price
        balance_sun: int | None = None
        if isinstance(balance, Balance):
            balance_sun = balance.balance_sun
        elif isinstance(balance, ProviderError):
            # The price stands alone: the summary shows the balance the price answer
            # carried, if any, or none.
            log.info("%s balance unavailable for a quote: %s", adapter.name, balance.code)
        else:
            raise balance
        return quote_for(price, balance_sun, request)

    async def balance(self, adapter: EnergyProvider, *, reuse: bool = True) -> Balance:
        key = (adapter.name.value, adapter.key_id)
        return await self.balance_calls.get(key, adapter.balance, reuse=reuse)

    async def balances(self) -> list[Balance | ProviderError]:
        """Every provider's balance as it is now (for /balance and the operator's alerts:
        a call in flight is shared, a kept answer is not reused)."""

        async def one(adapter: EnergyProvider) -> Balance | ProviderError:
            try:
                return await self.balance(adapter, reuse=False)
            except ProviderError as exc:
                return exc

        adapters = [self._adapters[n] for n in self._adapters.names()]
        return list(await asyncio.gather(*(one(a) for a in adapters)))

    def spent(self, adapter: EnergyProvider) -> None:
        """An order went out with this key: its balance is stale."""
        self.balance_calls.forget((adapter.name.value, adapter.key_id))

    async def _price(self, adapter: EnergyProvider, request: OrderRequest) -> PriceQuote:
        key = (adapter.name.value, adapter.key_id, request.amount, request.duration_sec)
        return await self.prices.get(
            key, lambda: adapter.price(request.amount, request.duration_sec)
        )
