"""Order logic: quote, submit without ever double-ordering, confirm, cancel, list.

`OrderService` is the one object handlers, jobs and tests call; the work is done by
the modules beside it, one concern each:
- adapters: the configured providers, which key may act on what, quotes and balances;
- submitting (with progress and receivers): recording, sending once, per-receiver outcomes;
- recovery (with states): lost answers searched in the provider's history, never resent;
- actions: confirm and cancel, with the settlement figures fetched afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from bot.domain import ProviderName
from bot.providers.errors import ProviderError
from bot.providers.port import Balance, EnergyProvider, OrderRequest, Quote, Refusal
from bot.services.orders.actions import Actions
from bot.services.orders.adapters import Adapters, preferred_quote
from bot.services.orders.convert import submission_query, tracked
from bot.services.orders.outcomes import (
    SHUTDOWN,
    ActionReport,
    ActionStatus,
    NotYourOrder,
    ReceiverReport,
    SubmitOutcome,
    SubmitStatus,
)
from bot.services.orders.progress import SubmitStopped
from bot.services.orders.receivers import receiver_report
from bot.services.orders.recovery import Recovery
from bot.services.orders.submitting import Submitter
from bot.storage.repository import Order, Repository, Submission

__all__ = [
    "SHUTDOWN",
    "ActionReport",
    "ActionStatus",
    "NotYourOrder",
    "OrderService",
    "ReceiverReport",
    "SubmitOutcome",
    "SubmitStatus",
    "SubmitStopped",
    "preferred_quote",
    "submission_query",
    "tracked",
]


class OrderService:
    def __init__(
        self,
        repo: Repository,
        providers: Mapping[ProviderName, EnergyProvider],
        *,
        clock: Callable[[], float] = time.time,
        recovery_window: float = 600.0,
        sending_stale_after: float = 120.0,
        reconcile_budget: float = 20.0,
    ) -> None:
        self.repo = repo
        self._adapters = Adapters(providers)
        self.providers = self._adapters.by_name
        self._clock = clock
        self._recovery = Recovery(
            repo,
            self._adapters,
            clock=clock,
            recovery_window=recovery_window,
            sending_stale_after=sending_stale_after,
            reconcile_budget=reconcile_budget,
        )
        self._submitter = Submitter(repo, self._adapters, self._recovery, clock=clock)
        self._actions = Actions(repo, self._adapters, clock=clock)

    def provider(self, name: ProviderName | str) -> EnergyProvider:
        return self._adapters[name]

    async def quotes(
        self, request: OrderRequest
    ) -> dict[ProviderName, Quote | Refusal | ProviderError]:
        """Every provider's answer to the request, fetched side by side."""
        return await self._adapters.quotes(request)

    async def balances(self) -> list[Balance | ProviderError]:
        return await self._adapters.balances()

    async def submit(
        self,
        *,
        chat_id: int,
        user_id: int,
        provider: ProviderName,
        request: OrderRequest,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> SubmitOutcome:
        """See `Submitter.submit`: recorded first, sent once, a lost answer reconciled."""
        return await self._submitter.submit(
            chat_id=chat_id,
            user_id=user_id,
            provider=provider,
            request=request,
            keep_going=keep_going,
        )

    async def reconcile_submissions(self) -> None:
        """See `Recovery.reconcile_submissions` (once per poll cycle)."""
        await self._recovery.reconcile_submissions()

    async def receiver_report(self, sub: Submission) -> list[ReceiverReport]:
        return await receiver_report(self.repo, sub)

    async def confirm(self, *, chat_id: int, order_ids: Sequence[int]) -> list[ActionReport]:
        return await self._actions.confirm(chat_id=chat_id, order_ids=order_ids)

    async def confirm_submission(self, *, chat_id: int, submission_id: int) -> list[ActionReport]:
        return await self._actions.confirm_submission(chat_id=chat_id, submission_id=submission_id)

    async def cancel(self, *, chat_id: int, order_ids: Sequence[int]) -> list[ActionReport]:
        return await self._actions.cancel(chat_id=chat_id, order_ids=order_ids)

    async def chat_orders(
        self, chat_id: int, *, page: int, page_size: int
    ) -> tuple[list[Order], int]:
        return await self.repo.chat_orders(chat_id, offset=page * page_size, limit=page_size)

    def provider_names(self) -> list[ProviderName]:
        """The configured providers, in configuration order."""
        return self._adapters.names()

    def durations(self) -> list[int]:
        """Every rental duration (seconds) some configured provider serves, ascending."""
        return self._adapters.durations()

    def can_cancel(self, order: Order) -> bool:
        return self._adapters.can_cancel(order, self._clock())

    def can_confirm(self, order: Order) -> bool:
        return self._adapters.can_confirm(order)

    async def aclose(self) -> None:
        """Close every provider's client (at shutdown)."""
        await self._adapters.aclose()
