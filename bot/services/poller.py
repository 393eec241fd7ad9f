"""One polling cycle: reconcile lost submissions, track open orders, record changes.

Every change is written with compare-and-set together with the push it causes (the
outbox), so an overlapping cycle or a restart can neither repeat nor lose a push.

No single order or chunk can stop the others: a refused chunk is halved until the order
it refuses stands alone, that order is counted unreadable (and reported once it stays so),
a transient failure skips only its chunk, and each order is tracked only with the API key
it was placed with.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.bounded import BoundedSet
from bot.domain import NoticeKind, OrderState
from bot.providers.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from bot.providers.port import EnergyProvider, StatusUpdate, Unreadable
from bot.services.orders import OrderService, tracked
from bot.services.poll_grouping import (
    by_submission,
    by_submission_batches,
    group_notices,
    order_notices,
    take_chunk,
)
from bot.storage.repository import (
    Order,
    OrderChanges,
    Transition,
    Watch,
)

log = logging.getLogger(__name__)


# An order whose answers stay unreadable this many times in a row is reported to its chat
# (once) and from then on asked about at most every UNREADABLE_RETRY_SECONDS, alone, until
# an answer reads again: it neither freezes the others nor costs a request every cycle.
UNREADABLE_AFTER = 3
UNREADABLE_RETRY_SECONDS = 600.0
# Orders asked about alone in one cycle. Each costs a request at the provider's pace, so a
# provider refusing many records must not hold up tracking the others for minutes: the
# ones due longest (then those with the fewest failures) go first, the rest next cycle.
SUSPECTS_PER_CYCLE = 5
_COMMIT_BATCH = 200  # orders per transaction when a chunk's answer changes many


@dataclass
class CycleReport:
    tracked: int = 0
    changed: int = 0
    unreadable: int = 0  # orders whose answer could not be used this cycle
    skipped: int = 0  # orders not asked about this cycle (transient error on their chunk)
    track_calls: int = 0  # adapter.track calls (a provider may split one into requests)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        """Some order was asked about and answered: more news may come at any time."""
        return self.tracked > self.skipped


def poll_delay(report: CycleReport, *, idle: float, busy: float) -> float:
    """Seconds until the next cycle. While orders are open the next one starts after
    `busy` (0: at once; each request then waits only for the provider's pacing, which
    is the real limit); otherwise, and when every request failed, after `idle`."""
    return busy if report.busy else idle


class Poller:
    def __init__(
        self,
        orders: OrderService,
        *,
        deadline_grace: float,
        clock: Callable[[], float] = time.time,
        on_notices: Callable[[], None] = lambda: None,
        unreadable_after: int = UNREADABLE_AFTER,
        unreadable_retry: float = UNREADABLE_RETRY_SECONDS,
    ) -> None:
        self._orders = orders
        self._repo = orders.repo
        self._grace = deadline_grace
        self._clock = clock
        self.on_notices = on_notices
        self._unreadable_after = unreadable_after
        self._unreadable_retry = unreadable_retry
        # Orders warned about an unknown status; bounded, at worst a warning repeats.
        self._warned_raw: BoundedSet[tuple[int, str]] = BoundedSet(maxsize=4096)

    async def run_cycle(self, *, keep_going: Callable[[], bool] = lambda: True) -> CycleReport:
        """One cycle. `keep_going` is asked before each provider and each tracking request:
        once the bot is stopping, the cycle ends there (what it did is committed; the rest
        waits for the next run), so a long cycle never holds up a shutdown."""
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
            if not keep_going():
                report.errors["stopped"] = "SHUTDOWN"
                return report
            try:
                await self._poll_provider(adapter, report, keep_going)
            except ProviderError as exc:
                log.warning("tracking %s failed: %s", adapter.name, exc)
                report.errors[adapter.name] = exc.code
        await self._report_missing_keys()
        return report

    async def _poll_provider(
        self, adapter: EnergyProvider, report: CycleReport, keep_going: Callable[[], bool]
    ) -> None:
        now = self._clock()
        # Only the orders placed with this adapter's key: another key cannot see them.
        open_orders = await self._repo.open_orders(adapter.name, adapter.key_id)
        await self._repo.key_back(adapter.name, adapter.key_id)
        # A running rental needs no request: it ends on its own clock.
        local = [t for o in open_orders if (t := self._local_transition(o, now)) is not None]
        await self._commit(local, report)
        local_ids = {t.order.id for t in local}
        to_track = [
            o
            for o in open_orders
            if o.id not in local_ids and o.state in (OrderState.PENDING, OrderState.UNKNOWN)
        ]
        watches = await self._repo.watches([o.id for o in to_track])
        healthy: list[Order] = []
        suspects: list[Order] = []
        for order in to_track:
            watch = watches.get(order.id)
            if watch is None or watch.failures == 0:
                healthy.append(order)
            elif watch.next_poll_at is None or now >= watch.next_poll_at:
                suspects.append(order)  # asked about alone, so it cannot spoil a chunk
        suspects.sort(key=lambda o: _suspect_rank(watches[o.id], o))
        suspects = suspects[:SUSPECTS_PER_CYCLE]
        report.tracked += len(healthy) + len(suspects)
        # Chunks never split a submission, so its orders' changes make one push; each
        # chunk is committed (and its pushes released) before the next request. The size
        # is read before each chunk: the adapter may have learnt a smaller one meanwhile.
        groups = deque(by_submission(healthy))
        suspect_chunks = deque([o] for o in suspects)
        while groups or suspect_chunks:
            if not keep_going():
                report.errors["stopped"] = "SHUTDOWN"
                return
            chunk = take_chunk(groups, adapter.track_batch) if groups else suspect_chunks.popleft()
            if not await self._track_chunk(adapter, chunk, watches, report, keep_going):
                report.errors["stopped"] = "SHUTDOWN"
                return

    async def _track_chunk(
        self,
        adapter: EnergyProvider,
        chunk: list[Order],
        watches: Mapping[int, Watch],
        report: CycleReport,
        keep_going: Callable[[], bool],
    ) -> bool:
        """Track one chunk; its answers are applied together, so a submission's changes
        make one push even when it takes several requests (a submission larger than the
        adapter's batch is asked about a batch at a time, the stop checked in between:
        stopped, nothing of the chunk is applied and False is returned; it is asked
        again on the next run). A refused part is halved until the order it refuses
        stands alone; a transient failure skips that part (only) until the next cycle.

        Splits are bounded per chunk (enough to isolate two refused orders): a provider
        refusing everything costs a few requests per cycle, not twice the chunk. What the
        budget leaves unasked is skipped; orders found refused are asked about alone from
        the next cycle on, so the next refused order is found then.
        """
        splits_left = 2 * math.ceil(math.log2(len(chunk))) + 1 if len(chunk) > 1 else 0
        size = max(1, adapter.track_batch)
        parts = [chunk[start : start + size] for start in range(0, len(chunk), size)]
        asked: list[Order] = []
        answered: list[StatusUpdate | Unreadable] = []
        first = True
        while parts:
            if not first and not keep_going():
                report.skipped += len(chunk)
                return False
            first = False
            part = parts.pop(0)
            answers: Sequence[StatusUpdate | Unreadable] = []
            refused: str | None = None
            try:
                report.track_calls += 1
                answers = await adapter.track([tracked(o) for o in part])
            except ProviderAuthError:
                raise  # the key itself is refused: every other chunk would be too
            except (ProviderRateLimited, ProviderUnavailable) as exc:
                if isinstance(exc, ProviderUnavailable) and exc.code == "BAD_RESPONSE":
                    refused = exc.code
                else:
                    self._skip(adapter, part, exc.code, report)
                    continue
            except ProviderError as exc:  # a definite refusal (400, validation, business)
                refused = exc.code
            except Exception:
                # No answer may stop tracking, not even one this code cannot handle.
                log.warning("tracking %s failed unexpectedly", adapter.name, exc_info=True)
                refused = "INTERNAL"
            if refused is not None and len(part) > 1:
                if splits_left <= 0:
                    self._skip(adapter, part, refused, report)
                    continue
                splits_left -= 1
                mid = len(part) // 2
                parts[:0] = [part[:mid], part[mid:]]  # the halves next, in order
                log.info("%s refused %d orders (%s); splitting", adapter.name, len(part), refused)
                continue
            if refused is not None:
                answers = [Unreadable(part[0].provider_order_id, refused)]
            asked.extend(part)
            answered.extend(answers)
        if asked:
            await self._apply(asked, answered, watches, report)
        return True

    @staticmethod
    def _skip(adapter: EnergyProvider, part: list[Order], code: str, report: CycleReport) -> None:
        log.warning("tracking %d %s orders skipped this cycle: %s", len(part), adapter.name, code)
        report.errors[adapter.name] = code
        report.skipped += len(part)

    async def _apply(
        self,
        part: list[Order],
        answers: Sequence[StatusUpdate | Unreadable],
        watches: Mapping[int, Watch],
        report: CycleReport,
    ) -> None:
        updates: dict[str, StatusUpdate] = {}
        bad: dict[str, Unreadable] = {}
        for answer in answers:
            if isinstance(answer, Unreadable):
                bad[answer.provider_order_id] = answer
            else:
                updates[answer.provider_order_id] = answer
        now = self._clock()
        transitions: list[Transition] = []
        readable: list[int] = []
        to_report: list[Order] = []
        for order in part:
            failure = bad.get(order.provider_order_id)
            if failure is not None and failure.transient:
                report.skipped += 1
                report.errors[order.provider] = failure.reason
            elif failure is not None:
                report.unreadable += 1
                if await self._count_unreadable(order, failure.reason, watches, now):
                    to_report.append(order)
            else:
                update = updates.get(order.provider_order_id)
                watch = watches.get(order.id)
                if update is not None and watch is not None and watch.failures:
                    readable.append(order.id)
                if (t := self._tracked_transition(order, update, now)) is not None:
                    transitions.append(t)
        await self._commit(transitions, report)
        await self._repo.readable_again(readable)
        if to_report:
            fresh = await self._repo.report_unreadable(
                to_report, now=now, notifications=order_notices(NoticeKind.UNREADABLE)
            )
            if fresh:
                self.on_notices()

    async def _count_unreadable(
        self, order: Order, reason: str, watches: Mapping[int, Watch], now: float
    ) -> bool:
        """Count one more unreadable answer; True once the order should be reported."""
        watch = watches.get(order.id)
        failures = (watch.failures if watch else 0) + 1
        slow = failures >= self._unreadable_after
        await self._repo.record_unreadable(
            order.id, error=reason, next_poll_at=now + self._unreadable_retry if slow else None
        )
        log.warning(
            "order %s: unreadable answer from %s (%s), %d in a row",
            order.id,
            order.provider,
            reason,
            failures,
        )
        return slow and not (watch is not None and watch.unreadable_reported)

    async def _report_missing_keys(self) -> None:
        """Orders placed with a key that is no longer configured are told to their chats
        once and left alone: no other key may track them (it cannot see them, and an
        absent order would read as expired). They are tracked again once the key is back."""
        configured = [(a.name, a.key_id) for a in self._orders.providers.values()]
        stray = await self._repo.open_orders_of_other_keys(configured)
        if not stray:
            return
        fresh = await self._repo.report_key_missing(
            stray, now=self._clock(), notifications=order_notices(NoticeKind.KEY_MISSING)
        )
        if fresh:
            log.warning(
                "%d open orders belong to API keys no longer configured: reported, not tracked",
                len(fresh),
            )
            self.on_notices()

    def _local_transition(self, order: Order, now: float) -> Transition | None:
        if order.state is not OrderState.MATCHED:
            return None
        if order.ends_at is None:  # adopted already matched: start the clock now
            return Transition(
                order,
                order.state,
                order.raw_status,
                OrderChanges(matched_at=now, ends_at=now + order.duration_sec),
            )
        if now >= order.ends_at:
            return Transition(
                order, OrderState.COMPLETED, order.raw_status, OrderChanges(closed_at=now)
            )
        return None

    def _tracked_transition(
        self, order: Order, update: StatusUpdate | None, now: float
    ) -> Transition | None:
        past_deadline = order.deadline_at is not None and now > order.deadline_at + self._grace
        if update is None:
            if past_deadline and order.state is OrderState.PENDING:
                return Transition(
                    order, OrderState.EXPIRED, order.raw_status, OrderChanges(closed_at=now)
                )
            return None
        state = update.state
        if state is OrderState.PENDING and past_deadline:
            # Not delegated by the deadline: the provider cancels and refunds it. A status
            # the docs do not list proves no refund: it is shown as it is.
            state = OrderState.EXPIRED
        if state is OrderState.UNKNOWN and (order.id, update.raw_status) not in self._warned_raw:
            self._warned_raw.add((order.id, update.raw_status))
            log.warning("order %s: undocumented status %r", order.id, update.raw_status)
        created = update.provider_created_at
        if created == order.provider_created_at:
            created = None  # nothing new to record
        if state is order.state and update.raw_status == order.raw_status and created is None:
            return None
        newly_matched = state is OrderState.MATCHED and order.state is not OrderState.MATCHED
        changes = OrderChanges(
            provider_created_at=created,
            delivered_amount=update.delivered_amount,
            delegate_txid=update.delegate_txid or None,
            refund_sun=update.refund_sun,
            matched_at=now if newly_matched else None,
            ends_at=(update.ends_at or now + order.duration_sec) if newly_matched else None,
            closed_at=None if state.is_open else now,
        )
        return Transition(order, state, update.raw_status, changes)

    async def _commit(self, transitions: Sequence[Transition], report: CycleReport) -> None:
        # In transactions of whole submissions (one push each), a few hundred orders at a
        # time: the first pushes go out while the rest of a large answer is written.
        for batch in by_submission_batches(transitions, _COMMIT_BATCH):
            won = await self._repo.apply(batch, now=self._clock(), notifications=group_notices)
            report.changed += len(won)
            if any(
                t.state is not t.order.state or t.raw_status != t.order.raw_status for t in won
            ):
                self.on_notices()


def _suspect_rank(watch: Watch, order: Order) -> tuple[float, int, int]:
    """Due longest first (an order not yet slowed down is due now), then the fewest
    failures, so every suspect takes its turn."""
    return (watch.next_poll_at or 0.0, watch.failures, order.id)
