"""The configured providers, and what each may be asked about a stored order or
submission: only the adapter holding the key it was placed with, since another key's
account cannot act on it (and must never be asked to)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain import OrderState, ProviderName
from bot.providers.port import EnergyProvider, Quote
from bot.services.orders.convert import tracked
from bot.storage.repository import Order, Submission


class Adapters:
    def __init__(self, providers: Mapping[ProviderName, EnergyProvider]) -> None:
        self.by_name = dict(providers)

    def __getitem__(self, name: ProviderName | str) -> EnergyProvider:
        return self.by_name[ProviderName(name)]

    def holding(self, provider: ProviderName | str, key_id: str) -> EnergyProvider | None:
        """The adapter of `provider` with key `key_id`, if configured."""
        adapter = self.by_name.get(ProviderName(provider))
        return adapter if adapter is not None and adapter.key_id == key_id else None

    def for_order(self, order: Order) -> EnergyProvider | None:
        return self.holding(order.provider, order.key_id)

    def for_submission(self, sub: Submission) -> EnergyProvider | None:
        return self.holding(sub.provider, sub.key_id)

    def can_cancel(self, order: Order, now: float) -> bool:
        adapter = self.for_order(order)
        return adapter is not None and adapter.can_cancel(tracked(order), now)

    def can_confirm(self, order: Order) -> bool:
        adapter = self.for_order(order)
        return (
            adapter is not None and adapter.supports_confirm and order.state is OrderState.MATCHED
        )

    def names(self) -> list[ProviderName]:
        """The configured providers, in configuration order."""
        return list(self.by_name)

    def durations(self) -> list[int]:
        """Every rental duration (seconds) some configured provider serves, ascending."""
        return sorted({s for adapter in self.by_name.values() for s in adapter.durations})

    async def aclose(self) -> None:
        """Close every provider's client (at shutdown)."""
        for adapter in self.by_name.values():
            await adapter.aclose()


def preferred_quote(quotes: Sequence[Quote], max_price: int) -> Quote:
    """The offer to preselect: the cheapest within the max price, else the cheapest."""
    return min(quotes, key=lambda q: (not q.within(max_price), q.total_sun))
