"""Acting on orders: confirming (ending a matched rental early) and cancelling, then
fetching what the provider charged and refunded. One action at a time per chat."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence

from bot.bounded import KeyedLocks
from bot.domain import OrderState, ProviderName
from bot.providers.errors import ProviderError
from bot.providers.port import ActionOutcome, EnergyProvider
from bot.services.orders.adapters import Adapters
from bot.services.orders.convert import tracked
from bot.services.orders.outcomes import ActionReport, ActionStatus, NotYourOrder
from bot.storage.repository import Order, OrderChanges, Repository, Transition

log = logging.getLogger(__name__)


def _by_provider(orders: Sequence[Order]) -> dict[ProviderName, list[Order]]:
    grouped: defaultdict[ProviderName, list[Order]] = defaultdict(list)
    for order in orders:
        grouped[order.provider].append(order)
    return grouped


class Actions:
    def __init__(
        self, repo: Repository, adapters: Adapters, *, clock: Callable[[], float]
    ) -> None:
        self._repo = repo
        self._adapters = adapters
        self._clock = clock
        # One action at a time per chat: a double press waits, then sees the new state.
        self._chat_locks: KeyedLocks[int] = KeyedLocks()  # freed when idle

    async def owned_orders(self, chat_id: int, order_ids: Sequence[int]) -> list[Order]:
        orders = await self._repo.orders_by_ids(order_ids)
        if len(orders) != len(set(order_ids)) or any(o.chat_id != chat_id for o in orders):
            raise NotYourOrder
        return orders

    async def confirm(self, *, chat_id: int, order_ids: Sequence[int]) -> list[ActionReport]:
        """End matched rentals early. Orders in any other state are reported, not sent."""
        async with self._chat_locks[chat_id]:
            orders = await self.owned_orders(chat_id, order_ids)
            reports = await self._act(
                orders,
                allowed=lambda o: o.state is OrderState.MATCHED,
                done_state=OrderState.CONFIRMED,
                call=lambda adapter, batch: adapter.confirm([tracked(o) for o in batch]),
                supported=lambda adapter: adapter.supports_confirm,
            )
        await self._settle(
            [r.order for r in reports if r.status in (ActionStatus.DONE, ActionStatus.ALREADY)]
        )
        return await self._fresh(reports)

    async def confirm_submission(self, *, chat_id: int, submission_id: int) -> list[ActionReport]:
        """ "Confirm all": every matched order of one submission in this chat."""
        orders = [
            o for o in await self._repo.orders_of_submission(submission_id) if o.chat_id == chat_id
        ]
        if not orders:
            raise NotYourOrder
        matched = [o.id for o in orders if o.state is OrderState.MATCHED]
        return await self.confirm(chat_id=chat_id, order_ids=matched or [o.id for o in orders])

    async def cancel(self, *, chat_id: int, order_ids: Sequence[int]) -> list[ActionReport]:
        async with self._chat_locks[chat_id]:
            orders = await self.owned_orders(chat_id, order_ids)
            now = self._clock()
            reports = await self._act(
                orders,
                allowed=lambda o: self._adapters.can_cancel(o, now),
                done_state=OrderState.CANCELLED,
                call=lambda adapter, batch: adapter.cancel([tracked(o) for o in batch]),
                supported=lambda adapter: True,
            )
        return await self._fresh(reports)

    async def _fresh(self, reports: Sequence[ActionReport]) -> list[ActionReport]:
        """The reports with their orders as stored now."""
        fresh = {o.id: o for o in await self._repo.orders_by_ids([r.order.id for r in reports])}
        return [ActionReport(fresh[r.order.id], r.status, r.fail_reason) for r in reports]

    async def _act(
        self,
        orders: Sequence[Order],
        *,
        allowed: Callable[[Order], bool],
        done_state: OrderState,
        call: Callable[[EnergyProvider, list[Order]], Awaitable[list[ActionOutcome]]],
        supported: Callable[[EnergyProvider], bool],
    ) -> list[ActionReport]:
        reports: dict[int, ActionReport] = {}
        to_send: list[Order] = []
        for order in orders:
            adapter = self._adapters.for_order(order)
            if order.state is done_state:
                reports[order.id] = ActionReport(order, ActionStatus.ALREADY)
            elif adapter is None or not supported(adapter) or not allowed(order):
                reports[order.id] = ActionReport(order, ActionStatus.NOT_ALLOWED)
            else:
                to_send.append(order)
        for provider, batch in _by_provider(to_send).items():
            outcomes = await call(self._adapters[provider], batch)
            by_id = {o.provider_order_id: o for o in outcomes}
            transitions = []
            for order in batch:
                outcome = by_id.get(order.provider_order_id)
                if outcome is not None and outcome.success:
                    changes = OrderChanges(closed_at=self._clock(), refund_sun=outcome.refund_sun)
                    transitions.append(Transition(order, done_state, order.raw_status, changes))
                    reports[order.id] = ActionReport(order, ActionStatus.DONE)
                else:
                    reason = outcome.fail_reason if outcome is not None else None
                    reports[order.id] = ActionReport(order, ActionStatus.REFUSED, reason)
            won = {t.order.id for t in await self._repo.apply(transitions, now=self._clock())}
            for t in transitions:
                if t.order.id not in won:
                    # The poller moved it meanwhile; the provider still did what we asked.
                    log.info("order %s changed while being acted on", t.order.id)
        return [reports[o.id] for o in orders]

    async def _settle(self, orders: Sequence[Order]) -> None:
        """Fetch charge and refund figures; missing figures are simply shown as pending."""
        for provider, batch in _by_provider(orders).items():
            try:
                found = await self._adapters[provider].settlements([tracked(o) for o in batch])
            except ProviderError as exc:
                log.warning("settlement lookup failed: %s", exc.code)
                continue
            ids = {o.provider_order_id: o.id for o in batch}
            for s in found:
                await self._repo.update_order_details(
                    ids[s.provider_order_id],
                    OrderChanges(charge_sun=s.charge_sun, refund_sun=s.refund_sun),
                )
