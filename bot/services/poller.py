"""One polling cycle: reconcile lost submissions, track open orders, record changes.

Every change is written with compare-and-set together with the push it causes (the
outbox), so an overlapping cycle or a restart can neither repeat nor lose a push.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.domain import NoticeKind, OrderState
from bot.providers.errors import ProviderError
from bot.services.orders import OrderService
from bot.services.ports import EnergyProvider, StatusUpdate
from bot.storage.repository import NewNotification, Order, Transition

log = logging.getLogger(__name__)

# States whose entry is announced, and how.
_NOTICE = {
    OrderState.MATCHED: NoticeKind.MATCHED,
    OrderState.EXPIRED: NoticeKind.EXPIRED,
    OrderState.COMPLETED: NoticeKind.COMPLETED,
    OrderState.CANCELLED: NoticeKind.CANCELLED,
    OrderState.FAILED: NoticeKind.FAILED,
    OrderState.UNKNOWN: NoticeKind.STATUS,
}


@dataclass
class CycleReport:
    tracked: int = 0
    changed: int = 0
    errors: dict[str, str] = field(default_factory=dict)


class Poller:
    def __init__(
        self,
        orders: OrderService,
        *,
        deadline_grace: float,
        clock: Callable[[], float] = time.time,
        on_notices: Callable[[], None] = lambda: None,
        on_progress: Callable[[], None] = lambda: None,
    ) -> None:
        self._orders = orders
        self._repo = orders.repo
        self._grace = deadline_grace
        self._clock = clock
        self.on_notices = on_notices
        self.on_progress = on_progress  # called after each committed chunk
        self._warned_raw: set[tuple[int, str]] = set()

    async def run_cycle(self) -> CycleReport:
        report = CycleReport()
        try:
            # Bounded by OrderService's per-cycle budget; whatever goes wrong there must
            # not keep this cycle from tracking.
            await self._orders.reconcile_submissions()
        except ProviderError as exc:
            report.errors["reconcile"] = exc.code
        except Exception:
            log.exception("reconciling lost submissions failed")
            report.errors["reconcile"] = "INTERNAL"
        for adapter in self._orders.providers.values():
            try:
                await self._poll_provider(adapter, report)
            except ProviderError as exc:
                log.warning("tracking %s failed: %s", adapter.name, exc)
                report.errors[adapter.name] = exc.code
        return report

    async def _poll_provider(self, adapter: EnergyProvider, report: CycleReport) -> None:
        now = self._clock()
        open_orders = await self._repo.open_orders(adapter.name)
        # A running rental needs no request: it ends on its own clock.
        local = [t for o in open_orders if (t := self._local_transition(o, now)) is not None]
        await self._commit(local, report)
        local_ids = {t.order.id for t in local}
        to_track = [
            o
            for o in open_orders
            if o.id not in local_ids and o.state in (OrderState.PENDING, OrderState.UNKNOWN)
        ]
        report.tracked += len(to_track)
        # Chunks never split a submission, so its orders' changes make one push; each
        # chunk is committed (and its pushes released) before the next request.
        for chunk in _chunks_by_submission(to_track, adapter.track_batch):
            updates = await adapter.track(chunk)
            by_id = {u.provider_order_id: u for u in updates}
            now = self._clock()
            transitions = [
                t
                for o in chunk
                if (t := self._tracked_transition(o, by_id.get(o.provider_order_id), now))
            ]
            await self._commit(transitions, report)
            self.on_progress()

    def _local_transition(self, order: Order, now: float) -> Transition | None:
        if order.state is not OrderState.MATCHED:
            return None
        if order.ends_at is None:  # adopted already matched: start the clock now
            return Transition(
                order,
                order.state,
                order.raw_status,
                {"matched_at": now, "ends_at": now + order.duration_sec},
            )
        if now >= order.ends_at:
            return Transition(order, OrderState.COMPLETED, order.raw_status, {"closed_at": now})
        return None

    def _tracked_transition(
        self, order: Order, update: StatusUpdate | None, now: float
    ) -> Transition | None:
        past_deadline = order.deadline_at is not None and now > order.deadline_at + self._grace
        if update is None:
            if past_deadline and order.state is OrderState.PENDING:
                return Transition(order, OrderState.EXPIRED, order.raw_status, {"closed_at": now})
            return None
        state = update.state
        if state in (OrderState.PENDING, OrderState.UNKNOWN) and past_deadline:
            # Not delegated by the deadline: the provider cancels and refunds it.
            state = OrderState.EXPIRED
        if state is OrderState.UNKNOWN and (order.id, update.raw_status) not in self._warned_raw:
            self._warned_raw.add((order.id, update.raw_status))
            log.warning("order %s: undocumented status %r", order.id, update.raw_status)
        changes: dict[str, object] = {}
        created = update.provider_created_at
        if created is not None and created != order.provider_created_at:
            changes["provider_created_at"] = created
        if state is order.state and update.raw_status == order.raw_status and not changes:
            return None
        if update.delivered_amount is not None:
            changes["delivered_amount"] = update.delivered_amount
        if update.delegate_txid:
            changes["delegate_txid"] = update.delegate_txid
        if update.refund_sun is not None:
            changes["refund_sun"] = update.refund_sun
        if state is OrderState.MATCHED and order.state is not OrderState.MATCHED:
            changes["matched_at"] = now
            changes["ends_at"] = update.ends_at or now + order.duration_sec
        elif not state.is_open:
            changes["closed_at"] = now
        return Transition(order, state, update.raw_status, changes)

    async def _commit(self, transitions: Sequence[Transition], report: CycleReport) -> None:
        if not transitions:
            return
        won = await self._repo.apply(transitions, now=self._clock(), notifications=_group_notices)
        report.changed += len(won)
        if any(t.state is not t.order.state or t.raw_status != t.order.raw_status for t in won):
            self.on_notices()


def _chunks_by_submission(orders: Sequence[Order], size: int) -> list[list[Order]]:
    by_submission: defaultdict[int, list[Order]] = defaultdict(list)
    for order in orders:
        by_submission[order.submission_id].append(order)
    chunks: list[list[Order]] = [[]]
    for group in by_submission.values():
        if chunks[-1] and len(chunks[-1]) + len(group) > size:
            chunks.append([])
        chunks[-1].extend(group)
    return [c for c in chunks if c]


def _group_notices(won: list[Transition]) -> list[NewNotification]:
    """One push per submission and kind, naming every order that changed with it."""
    groups: defaultdict[tuple[int, int, NoticeKind], list[int]] = defaultdict(list)
    for tr in won:
        kind = _NOTICE.get(tr.state)
        announce = tr.state is not tr.order.state or (
            tr.state is OrderState.UNKNOWN and tr.raw_status != tr.order.raw_status
        )
        if kind is None or not announce:
            continue
        groups[(tr.order.chat_id, tr.order.submission_id, kind)].append(tr.order.id)
    return [
        NewNotification(chat, kind, {"submission_id": sub, "order_ids": ids})
        for (chat, sub, kind), ids in groups.items()
    ]
