"""Order logic: quote, submit without ever double-ordering, confirm, cancel, list.

`OrderService` is the one object handlers, jobs and tests call; the work is done by
the modules beside it, one concern each:
- adapters: the configured providers, which key may act on what;
- quotes: prices and balances shared across chats (single flight, a short freshness);
- queue: one create line per key, in press order, that can say each waiter's place;
- submitting (with progress and receivers): recording, sending once, per-receiver outcomes;
- recovery (with states): lost answers searched in the provider's history, never resent;
- actions: confirm and cancel, with the settlement figures fetched afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from bot.domain import ProviderName
from bot.providers.port import EnergyProvider
from bot.services.orders.actions import Actions
from bot.services.orders.adapters import Adapters, preferred_quote
from bot.services.orders.convert import submission_query, tracked
from bot.services.orders.limits import (
    LimitGuard,
    LimitKind,
    LimitRefusal,
    SpendLimitExceeded,
    SpendLimits,
)
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
from bot.services.orders.queue import CreateQueue, Place, Ticket
from bot.services.orders.quotes import QUOTE_FRESH_SECONDS, QuoteAnswer, QuoteService
from bot.services.orders.receivers import receiver_report
from bot.services.orders.recovery import Recovery
from bot.services.orders.submitting import SubmitNotSent, Submitter
from bot.storage.repository import Order, Repository, Submission

__all__ = [
    "QUOTE_FRESH_SECONDS",
    "SHUTDOWN",
    "ActionReport",
    "ActionStatus",
    "LimitKind",
    "LimitRefusal",
    "NotYourOrder",
    "OrderService",
    "Place",
    "QuoteAnswer",
    "ReceiverReport",
    "SpendLimitExceeded",
    "SpendLimits",
    "SubmitNotSent",
    "SubmitOutcome",
    "SubmitStatus",
    "SubmitStopped",
    "Ticket",
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
        limits: SpendLimits | None = None,
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
        self.limits = LimitGuard(repo, limits or SpendLimits())
        self._quotes = QuoteService(self._adapters)
        self._submitter = Submitter(
            repo,
            self._adapters,
            self._recovery,
            self.limits,
            clock=clock,
            queue=CreateQueue(),
            sent_with=self._quotes.spent,
        )
        self._actions = Actions(repo, self._adapters, clock=clock)
        # The entry points, served by the modules beside (see each for what it promises).
        self.quotes = self._quotes.quotes
        self.balances = self._quotes.balances
        self.provider_names = self._adapters.names
        self.durations = self._adapters.durations
        self.can_confirm = self._adapters.can_confirm
        self.aclose = self._adapters.aclose
        self.submit = self._submitter.submit
        self.join_create_line = self._submitter.join
        self.leave_create_line = self._submitter.leave
        self.reconcile_submissions = self._recovery.reconcile_submissions
        self.confirm = self._actions.confirm
        self.confirm_submission = self._actions.confirm_submission
        self.cancel = self._actions.cancel

    def provider(self, name: ProviderName | str) -> EnergyProvider:
        return self._adapters[name]

    def can_cancel(self, order: Order) -> bool:
        return self._adapters.can_cancel(order, self._clock())

    async def receiver_report(self, sub: Submission) -> list[ReceiverReport]:
        return await receiver_report(self.repo, sub)

    async def chat_orders(
        self, chat_id: int, *, page: int, page_size: int
    ) -> tuple[list[Order], int]:
        return await self.repo.chat_orders(chat_id, offset=page * page_size, limit=page_size)
