"""Order logic: quote, submit without ever double-ordering, confirm, cancel, list."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.bounded import KeyedLocks
from bot.domain import NoticeKind, OrderState, ProviderName, SubmissionState
from bot.providers.errors import (
    FailureReason,
    ProviderBusinessError,
    ProviderError,
    ProviderUnavailable,
)
from bot.providers.port import (
    ActionOutcome,
    Balance,
    EnergyProvider,
    OrderRequest,
    PlacedOrder,
    Quote,
    ReceiverResult,
    ReceiverStatus,
    Refusal,
    SubmissionQuery,
    SubmitResult,
    TrackedOrder,
)
from bot.providers.registry import reason_of
from bot.services.reconcile_turns import ReconcileTurns
from bot.storage.repository import (
    RECEIVER_SENDING,
    NewNotification,
    NewOrder,
    NoticePayload,
    Order,
    OrderChanges,
    ReceiverUpdate,
    Repository,
    Submission,
    Transition,
)

log = logging.getLogger(__name__)

SHUTDOWN = "SHUTDOWN"  # stored error code: the bot stopped sending because it is shutting down


class SubmitStatus(StrEnum):
    SUBMITTED = "submitted"
    RECOVERED = "recovered"  # the answer was lost, but the orders were found and adopted
    UNCERTAIN = "uncertain"  # the answer was lost; the poller keeps looking
    UNRESOLVED = "unresolved"  # the answer was lost and the provider cannot be asked
    FAILED = "failed"


@dataclass(frozen=True)
class ReceiverReport:
    """What the user is told about one receiver: its stored order, or why there is none."""

    receiver: str | None
    status: ReceiverStatus
    order: Order | None = None
    error: ProviderError | None = None


@dataclass(frozen=True)
class SubmitOutcome:
    submission: Submission
    status: SubmitStatus
    orders: list[Order]
    error: ProviderError | None = None
    # Receiver by receiver, in request order; empty when the request failed as a whole.
    receivers: list[ReceiverReport] = field(default_factory=list)

    @property
    def all_ordered(self) -> bool:
        return all(r.status is ReceiverStatus.ORDERED for r in self.receivers)


class ActionStatus(StrEnum):
    DONE = "done"
    REFUSED = "refused"  # the provider said no (fail_reason)
    ALREADY = "already"  # already in the wanted end state: nothing sent
    NOT_ALLOWED = "not_allowed"  # the order's state does not allow it: nothing sent


@dataclass(frozen=True)
class ActionReport:
    order: Order
    status: ActionStatus
    fail_reason: str | None = None


def tracked(order: Order) -> TrackedOrder:
    """A stored order as the provider port sees it."""
    return TrackedOrder(
        provider_order_id=order.provider_order_id,
        amount=order.amount,
        state=order.state,
        raw_status=order.raw_status,
        created_at=order.created_at,
        provider_created_at=order.provider_created_at,
    )


def submission_query(sub: Submission) -> SubmissionQuery:
    return SubmissionQuery(
        amount=sub.amount,
        duration_sec=sub.duration_sec,
        max_price=sub.max_price,
        deadline_sec=sub.deadline_sec,
        receivers=sub.receivers,
        created_at=sub.created_at,
        sent_at=sub.sent_at,
        answer_by=sub.answer_by,
        offset_low=sub.offset_low,
        offset_high=sub.offset_high,
    )


def _new_order(placed: PlacedOrder) -> NewOrder:
    """An order a provider made, as the repository stores it."""
    return NewOrder(
        provider_order_id=placed.provider_order_id,
        receiver=placed.receiver,
        amount=placed.amount,
        duration_sec=placed.duration_sec,
        state=placed.state,
        raw_status=placed.raw_status,
        deadline_at=placed.deadline_at,
        charge_sun=placed.charge_sun,
        provider_created_at=placed.provider_created_at,
        request_id=placed.request_id,
    )


def preferred_quote(quotes: Sequence[Quote], max_price: int) -> Quote:
    """The offer to preselect: the cheapest within the max price, else the cheapest."""
    return min(quotes, key=lambda q: (not q.within(max_price), q.total_sun))


@dataclass(frozen=True)
class _Found:
    """Orders to adopt from one search, and whether every receiver is then accounted for."""

    orders: list[NewOrder]
    complete: bool


def _recovered_note(sub: Submission, new: Sequence[Order]) -> NewNotification | None:
    """One push per batch found, naming only the orders this batch added."""
    if not new:
        return None
    payload = NoticePayload(sub.id, order_ids=tuple(o.id for o in new))
    return NewNotification(sub.chat_id, NoticeKind.RECOVERED, payload)


def _receivers_payload(sub: Submission, own: Sequence[Order]) -> NoticePayload:
    """Which receivers have an order and which not, for the notice that ends a search."""
    missing = Counter(sub.receivers) - Counter(o.receiver or "" for o in own)
    return NoticePayload(
        sub.id,
        order_ids=(),
        found=tuple(sorted({o.receiver for o in own if o.receiver})),
        missing=tuple(sorted(missing.elements())),
    )


class NotYourOrder(Exception):
    """A button named an order that does not belong to the chat it was pressed in."""


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
        self.providers = dict(providers)
        self._clock = clock
        self._recovery_window = recovery_window
        self._sending_stale_after = sending_stale_after
        self._turns = ReconcileTurns(reconcile_budget)
        # Submissions a handler of this process holds right now (sending, or searching
        # after a lost answer): the poller leaves them alone, however long the loop, so
        # the user hears the handler's reply before any push.
        self._in_hand: set[int] = set()
        # One action at a time per chat: a double press waits, then sees the new state.
        self._chat_locks: KeyedLocks[int] = KeyedLocks()  # freed when idle
        self._started_at = clock()

    def provider(self, name: ProviderName | str) -> EnergyProvider:
        return self.providers[ProviderName(name)]

    async def quotes(
        self, request: OrderRequest
    ) -> dict[ProviderName, Quote | Refusal | ProviderError]:
        """Every provider's answer to the request, fetched side by side."""

        async def one(adapter: EnergyProvider) -> Quote | Refusal | ProviderError:
            key = adapter.check_request(request)
            if key is not None:
                return Refusal(adapter.name, key)
            try:
                return await adapter.quote(request)
            except ProviderError as exc:
                return exc

        names = list(self.providers)
        results = await asyncio.gather(*(one(self.providers[n]) for n in names))
        return dict(zip(names, results, strict=True))

    # -- submitting --------------------------------------------------------------------

    async def submit(
        self,
        *,
        chat_id: int,
        user_id: int,
        provider: ProviderName,
        request: OrderRequest,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> SubmitOutcome:
        """Record the submission first, then send it once. A lost answer is reconciled,
        never retried: the history is searched and any orders found are adopted.

        `keep_going` is asked before each create request: once it says no (the bot is
        shutting down), nothing more is sent and the rest is reported as not attempted."""
        adapter = self.provider(provider)
        sub = await self.repo.create_submission(
            chat_id=chat_id,
            user_id=user_id,
            provider=provider,
            key_id=adapter.key_id,
            amount=request.amount,
            duration_sec=request.duration_sec,
            max_price=request.max_price,
            deadline_sec=request.deadline_sec,
            receivers=request.receivers,
            now=self._clock(),
        )
        self._in_hand.add(sub.id)
        try:
            return await self._send(sub, adapter, request, keep_going)
        finally:
            self._in_hand.discard(sub.id)

    async def _send(
        self,
        sub: Submission,
        adapter: EnergyProvider,
        request: OrderRequest,
        keep_going: Callable[[], bool],
    ) -> SubmitOutcome:
        progress = _StoredProgress(self.repo, sub, self._clock, keep_going)
        try:
            result = await adapter.submit(request, progress)
        except SubmitStopped:
            return await self._stopped(sub)
        except ProviderUnavailable as exc:
            if not exc.outcome_unknown:
                return await self._failed(sub, exc)
            log.warning("submission %s: outcome unknown (%s); reconciling", sub.id, exc.code)
            await self.repo.set_submission_state(
                sub.id,
                SubmissionState.UNCERTAIN,
                now=self._clock(),
                expected=[SubmissionState.SENDING],
                error_code=exc.code,
            )
            return await self._reconcile_now(sub, exc)
        except ProviderError as exc:
            return await self._failed(sub, exc)
        return await self._settle_result(sub, result)

    async def _settle_result(self, sub: Submission, result: SubmitResult) -> SubmitOutcome:
        """The submission's state from its receivers' outcomes (all stored already)."""
        stored = {o.provider_order_id: o for o in await self.repo.orders_of_submission(sub.id)}
        report = [_report(r, stored) for r in result.receivers]
        uncertain = next(
            (r for r in result.receivers if r.status is ReceiverStatus.UNCERTAIN), None
        )
        if uncertain is not None:
            # Never "not ordered" and never resent: looked up where the provider allows,
            # else left unresolved with the receiver recorded (submission_receivers).
            log.warning("submission %s: receiver %s uncertain", sub.id, uncertain.position)
            lost = uncertain.error or ProviderUnavailable(
                sub.provider, "UNKNOWN", outcome_unknown=True
            )
            await self.repo.set_submission_state(
                sub.id,
                SubmissionState.UNCERTAIN,
                now=self._clock(),
                expected=[SubmissionState.SENDING],
                error_code=lost.code,
            )
            outcome = await self._reconcile_now(sub, lost)
            orders = await self.repo.orders_of_submission(sub.id)
            return replace(outcome, orders=orders, receivers=report)
        # Nothing placed: the error that stopped the loop, else the first refusal.
        failure = result.error or next((r.error for r in result.receivers if r.error), None)
        if not stored and failure is not None:
            return replace(await self._failed(sub, failure), receivers=report)
        await self.repo.set_submission_state(
            sub.id,
            SubmissionState.SUBMITTED,
            now=self._clock(),
            expected=[SubmissionState.SENDING],
        )
        log.info("submission %s: %d orders stored", sub.id, len(stored))
        return SubmitOutcome(
            sub, SubmitStatus.SUBMITTED, list(stored.values()), result.error, report
        )

    async def _stopped(self, sub: Submission) -> SubmitOutcome:
        """Shutting down between two receivers: no request is in flight, so every
        receiver's outcome is known; those not sent are reported as not attempted."""
        stop = ProviderUnavailable(
            sub.provider, SHUTDOWN, outcome_unknown=False, reason=FailureReason.SHUTTING_DOWN
        )
        report = await self.receiver_report(sub)
        first = next(
            (i for i, r in enumerate(report) if r.status is ReceiverStatus.NOT_ATTEMPTED), None
        )
        if first is not None:
            report[first] = replace(report[first], error=stop)
        orders = await self.repo.orders_of_submission(sub.id)
        if not orders:
            return replace(await self._failed(sub, stop), receivers=report)
        await self.repo.set_submission_state(
            sub.id,
            SubmissionState.SUBMITTED,
            now=self._clock(),
            expected=[SubmissionState.SENDING],
        )
        log.info("submission %s: stopped for shutdown after %d orders", sub.id, len(orders))
        return SubmitOutcome(sub, SubmitStatus.SUBMITTED, orders, stop, report)

    async def _failed(self, sub: Submission, exc: ProviderError) -> SubmitOutcome:
        await self.repo.set_submission_state(
            sub.id,
            SubmissionState.FAILED,
            now=self._clock(),
            expected=[SubmissionState.SENDING],
            error_code=exc.code,
        )
        return SubmitOutcome(sub, SubmitStatus.FAILED, [], exc)

    async def _reconcile_now(self, sub: Submission, exc: ProviderError) -> SubmitOutcome:
        """One search right after a lost answer, within the reconcile budget. Orders found
        for only some receivers are adopted with a push and the rest searched for later."""
        if exc.timing is not None:
            timing = exc.timing
            sub = (
                await self.repo.set_submission_timing(
                    sub.id,
                    sent_at=timing.sent_at,
                    answer_by=timing.answer_by,
                    offset_low=timing.offset_low,
                    offset_high=timing.offset_high,
                )
                or sub
            )
        return await self._search_now(sub, exc)

    async def _search_now(self, sub: Submission, exc: ProviderError) -> SubmitOutcome:
        try:
            async with asyncio.timeout(self._turns.budget):
                found = await self._recover(sub)
        except (ProviderError, TimeoutError) as lookup_error:
            code = lookup_error.code if isinstance(lookup_error, ProviderError) else "BUDGET"
            log.warning("submission %s: history lookup failed: %s", sub.id, code)
            return SubmitOutcome(sub, SubmitStatus.UNCERTAIN, [], exc)
        if found is None:
            await self.repo.set_submission_state(
                sub.id,
                SubmissionState.UNRESOLVED,
                now=self._clock(),
                expected=[SubmissionState.UNCERTAIN],
                error_code=exc.code,
            )
            return SubmitOutcome(sub, SubmitStatus.UNRESOLVED, [], exc)
        if found.complete:
            await self.repo.adopt_orders(sub, found.orders, now=self._clock(), complete=True)
            orders = await self.repo.orders_of_submission(sub.id)
            return SubmitOutcome(sub, SubmitStatus.RECOVERED, orders, exc)
        if not found.orders:
            return SubmitOutcome(sub, SubmitStatus.UNCERTAIN, [], exc)
        # Some receivers only: the reply says the outcome is still open; the push names
        # what was found.
        await self.repo.adopt_orders(
            sub,
            found.orders,
            now=self._clock(),
            complete=False,
            notify=lambda new: _recovered_note(sub, new),
        )
        return SubmitOutcome(sub, SubmitStatus.UNCERTAIN, [], exc)

    async def _recover(self, sub: Submission) -> _Found | None:
        """What the provider's history adds to the submission: per receiver not yet
        accounted for, the oldest candidate no submission owns. Once some of its orders are
        known, only orders of the same create request (request_id) are taken; before that,
        only the oldest request's. None: the provider cannot tell."""
        candidates = await self.provider(sub.provider).recover(submission_query(sub))
        if candidates is None:
            return None
        own = await self.repo.orders_of_submission(sub.id)
        own_ids = {o.provider_order_id for o in own}
        taken = await self.repo.known_provider_ids(
            sub.provider, [o.provider_order_id for o in candidates]
        )
        own_groups = {c.request_id for c in candidates if c.provider_order_id in own_ids}
        own_groups.discard(None)
        free = [c for c in candidates if c.provider_order_id not in taken]
        if own_groups:
            free = [c for c in free if c.request_id in own_groups]
        elif free and free[0].request_id is not None:
            free = [c for c in free if c.request_id == free[0].request_id]
        missing = Counter(sub.receivers) - Counter(o.receiver or "" for o in own)
        picked: list[NewOrder] = []
        for order in free:
            receiver = order.receiver or ""
            if missing[receiver] > 0:
                missing[receiver] -= 1
                picked.append(_new_order(order))
        return _Found(picked, complete=not +missing)

    async def reconcile_submissions(self) -> None:
        """Settle submissions whose answer was lost, including those a crash interrupted,
        within the cycle's time budget (least recently tried first; the rest wait for the
        next cycle).

        Orders found are adopted with a push per batch, and searching goes on until every
        receiver is accounted for or the recovery window closes. Then the user is told
        which receivers were found and which not; "nothing was created" only after a
        search of the whole window that found nothing.
        """
        pending = [
            sub
            for sub in await self.repo.submissions_in(
                [SubmissionState.SENDING, SubmissionState.UNCERTAIN]
            )
            # Searched only with the key it was placed with: another key's history is
            # another account's orders.
            if sub.provider in self.providers
            and self.provider(sub.provider).key_id == sub.key_id
            and sub.id not in self._in_hand
        ]
        turns = self._turns.start_cycle(pending)
        for index, turn in enumerate(turns):
            sub = turn
            if not self._turns.can_start():
                log.info("reconcile budget spent; %d submission(s) wait", len(turns) - index)
                return
            now = self._clock()
            if sub.state is SubmissionState.SENDING:
                if sub.created_at >= self._started_at and (
                    now - sub.created_at < self._sending_stale_after
                ):
                    continue  # just recorded by this process; its handler is about to hold it
                if not await self.repo.set_submission_state(
                    sub.id, SubmissionState.UNCERTAIN, now=now, expected=[SubmissionState.SENDING]
                ):
                    continue
                # A crash mid-send: it went out after the record and acted by now at latest.
                sub = (
                    await self.repo.set_submission_timing(
                        sub.id,
                        sent_at=sub.created_at,
                        answer_by=now,
                        offset_low=None,
                        offset_high=None,
                    )
                    or sub
                )
            self._turns.tried(sub)
            found: _Found | None
            try:
                async with asyncio.timeout(max(self._turns.remaining(), 0.0)):
                    found = await self._recover(sub)
            except ProviderError as exc:
                log.warning("submission %s: history search not finished: %s", sub.id, exc.code)
                await self._close_unknown(sub, self._clock(), exc.code)
                continue
            except TimeoutError:
                # Cut by this cycle's budget: it goes on next cycle, past the window too,
                # but not forever.
                log.info("submission %s: history search continues next cycle", sub.id)
                now = self._clock()
                if now - sub.created_at > 2 * self._recovery_window:
                    await self._close_unknown(sub, now, "BUDGET")
                continue
            if found is None and await self.settle_interrupted(sub, self._clock()):
                continue  # no lookup possible, but its receivers' progress was recorded
            await self._settle_reconciled(sub, found, self._clock())

    def _window_closed(self, sub: Submission, now: float) -> bool:
        return now - sub.created_at > self._recovery_window

    async def _close_unknown(self, sub: Submission, now: float, code: str) -> None:
        """A search that could not finish: nothing to conclude, unless the window closed,
        when the user is told the outcome is unknown for every receiver not found."""
        if not self._window_closed(sub, now):
            return
        own = await self.repo.orders_of_submission(sub.id)
        await self.repo.set_submission_state(
            sub.id,
            SubmissionState.UNRESOLVED,
            now=now,
            expected=[SubmissionState.UNCERTAIN],
            error_code="SEARCH_INCOMPLETE",
            notify=NewNotification(
                sub.chat_id, NoticeKind.RECOVERY_UNKNOWN, _receivers_payload(sub, own)
            ),
        )
        log.warning("submission %s: window closed with the search unfinished (%s)", sub.id, code)

    async def _settle_reconciled(self, sub: Submission, found: _Found | None, now: float) -> None:
        if found is None:
            await self.repo.set_submission_state(
                sub.id,
                SubmissionState.UNRESOLVED,
                now=now,
                expected=[SubmissionState.UNCERTAIN],
                notify=NewNotification(sub.chat_id, NoticeKind.UNRESOLVED, NoticePayload(sub.id)),
            )
            return
        if found.orders:
            added = await self.repo.adopt_orders(
                sub,
                found.orders,
                now=now,
                complete=found.complete,
                notify=lambda new: _recovered_note(sub, new),
            )
            log.info("submission %s: adopted %d orders from history", sub.id, len(added))
        if found.complete or not self._window_closed(sub, now):
            return
        own = await self.repo.orders_of_submission(sub.id)
        if not own:
            await self.repo.set_submission_state(
                sub.id,
                SubmissionState.FAILED,
                now=now,
                expected=[SubmissionState.UNCERTAIN],
                error_code="NOT_CREATED",
                notify=NewNotification(sub.chat_id, NoticeKind.NOT_CREATED, NoticePayload(sub.id)),
            )
            return
        # Found for some receivers only, after searching the whole window every time.
        await self.repo.set_submission_state(
            sub.id,
            SubmissionState.SUBMITTED,
            now=now,
            expected=[SubmissionState.UNCERTAIN],
            error_code="PARTLY_FOUND",
            notify=NewNotification(
                sub.chat_id, NoticeKind.RECOVERY_PARTIAL, _receivers_payload(sub, own)
            ),
        )

    # -- submissions a crash cut short (per-receiver providers) ------------------------

    async def settle_interrupted(self, sub: Submission, now: float) -> bool:
        """Settle a submission a crash left half-sent at a provider that cannot look
        orders up: it becomes unresolved and the chat is told, receiver by receiver, what
        is known (see `receiver_report`). False when no receiver progress was recorded
        (e.g. a provider sending all receivers in one request): the caller goes on."""
        if not await self.repo.receiver_records(sub.id):
            return False
        await self.repo.set_submission_state(
            sub.id,
            SubmissionState.UNRESOLVED,
            now=now,
            expected=[SubmissionState.UNCERTAIN],
            error_code="INTERRUPTED",
            notify=NewNotification(sub.chat_id, NoticeKind.INTERRUPTED, NoticePayload(sub.id)),
        )
        log.warning("submission %s: interrupted; the chat is told what is known", sub.id)
        return True

    async def receiver_report(self, sub: Submission) -> list[ReceiverReport]:
        """Every receiver of a submission from what was stored: its order; uncertain if
        its request went out without a stored answer; not attempted if it never did."""
        records = {r.position: r for r in await self.repo.receiver_records(sub.id)}
        orders = {o.provider_order_id: o for o in await self.repo.orders_of_submission(sub.id)}
        report: list[ReceiverReport] = []
        for position, receiver in enumerate(sub.receivers):
            rec = records.get(position)
            if rec is None:
                report.append(ReceiverReport(receiver, ReceiverStatus.NOT_ATTEMPTED))
                continue
            status = (
                ReceiverStatus.UNCERTAIN
                if rec.outcome == RECEIVER_SENDING
                else ReceiverStatus(rec.outcome)
            )
            error = (
                ProviderBusinessError(
                    sub.provider,
                    rec.error_code,
                    rec.error_detail or "",
                    reason=reason_of(sub.provider, rec.error_code),
                )
                if rec.error_code
                else None
            )
            order = orders.get(rec.provider_order_id or "")
            report.append(ReceiverReport(receiver, status, order, error))
        return report

    # -- acting on orders --------------------------------------------------------------

    async def owned_orders(self, chat_id: int, order_ids: Sequence[int]) -> list[Order]:
        orders = await self.repo.orders_by_ids(order_ids)
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
        fresh = {o.id: o for o in await self.repo.orders_by_ids([r.order.id for r in reports])}
        return [ActionReport(fresh[r.order.id], r.status, r.fail_reason) for r in reports]

    async def confirm_submission(self, *, chat_id: int, submission_id: int) -> list[ActionReport]:
        """ "Confirm all": every matched order of one submission in this chat."""
        orders = [
            o for o in await self.repo.orders_of_submission(submission_id) if o.chat_id == chat_id
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
                allowed=lambda o: self.provider(o.provider).can_cancel(tracked(o), now),
                done_state=OrderState.CANCELLED,
                call=lambda adapter, batch: adapter.cancel([tracked(o) for o in batch]),
                supported=lambda adapter: True,
            )
        fresh = {o.id: o for o in await self.repo.orders_by_ids([r.order.id for r in reports])}
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
        by_provider: defaultdict[str, list[Order]] = defaultdict(list)
        for order in orders:
            adapter = self._adapter_for(order)
            if order.state is done_state:
                reports[order.id] = ActionReport(order, ActionStatus.ALREADY)
            elif adapter is None or not supported(adapter) or not allowed(order):
                reports[order.id] = ActionReport(order, ActionStatus.NOT_ALLOWED)
            else:
                by_provider[order.provider].append(order)
        for provider, batch in by_provider.items():
            adapter = self.provider(provider)
            outcomes = await call(adapter, batch)
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
            won = {t.order.id for t in await self.repo.apply(transitions, now=self._clock())}
            for t in transitions:
                if t.order.id not in won:
                    # The poller moved it meanwhile; the provider still did what we asked.
                    log.info("order %s changed while being acted on", t.order.id)
        return [reports[o.id] for o in orders]

    async def _settle(self, orders: Sequence[Order]) -> None:
        """Fetch charge and refund figures; missing figures are simply shown as pending."""
        by_provider: defaultdict[str, list[Order]] = defaultdict(list)
        for order in orders:
            by_provider[order.provider].append(order)
        for provider, batch in by_provider.items():
            try:
                found = await self.provider(provider).settlements([tracked(o) for o in batch])
            except ProviderError as exc:
                log.warning("settlement lookup failed: %s", exc.code)
                continue
            ids = {o.provider_order_id: o.id for o in batch}
            for s in found:
                await self.repo.update_order_details(
                    ids[s.provider_order_id],
                    OrderChanges(charge_sun=s.charge_sun, refund_sun=s.refund_sun),
                )

    # -- reading -----------------------------------------------------------------------

    async def chat_orders(
        self, chat_id: int, *, page: int, page_size: int
    ) -> tuple[list[Order], int]:
        return await self.repo.chat_orders(chat_id, offset=page * page_size, limit=page_size)

    def provider_names(self) -> list[ProviderName]:
        """The configured providers, in configuration order."""
        return list(self.providers)

    def durations(self) -> list[int]:
        """Every rental duration (seconds) some configured provider serves, ascending."""
        return sorted({s for adapter in self.providers.values() for s in adapter.durations})

    async def aclose(self) -> None:
        """Close every provider's client (at shutdown)."""
        for adapter in self.providers.values():
            await adapter.aclose()

    def _adapter_for(self, order: Order) -> EnergyProvider | None:
        """The adapter holding the key the order was placed with; another key's account
        cannot act on it (and must never be asked to)."""
        adapter = self.providers.get(ProviderName(order.provider))
        return adapter if adapter is not None and adapter.key_id == order.key_id else None

    def can_cancel(self, order: Order) -> bool:
        adapter = self._adapter_for(order)
        return adapter is not None and adapter.can_cancel(tracked(order), self._clock())

    def can_confirm(self, order: Order) -> bool:
        adapter = self._adapter_for(order)
        return (
            adapter is not None and adapter.supports_confirm and order.state is OrderState.MATCHED
        )

    async def balances(self) -> list[Balance | ProviderError]:
        async def one(adapter: EnergyProvider) -> Balance | ProviderError:
            try:
                return await adapter.balance()
            except ProviderError as exc:
                return exc

        return list(await asyncio.gather(*(one(a) for a in self.providers.values())))


def _report(result: ReceiverResult, stored: Mapping[str, Order]) -> ReceiverReport:
    order = stored.get(result.order.provider_order_id) if result.order is not None else None
    return ReceiverReport(result.receiver, result.status, order, result.error)


class SubmitStopped(Exception):
    """Raised into the adapter, before a create request, when the bot is shutting down."""


class _StoredProgress:
    """The adapter's progress, written to the database the moment it is reported."""

    def __init__(
        self,
        repo: Repository,
        sub: Submission,
        clock: Callable[[], float],
        keep_going: Callable[[], bool],
    ) -> None:
        self._repo = repo
        self._sub = sub
        self._clock = clock
        self._keep_going = keep_going

    async def sending(self, positions: Sequence[int]) -> None:
        if not self._keep_going():
            raise SubmitStopped  # before anything is marked or sent: not attempted
        await self._repo.mark_receivers_sending(self._sub, positions, now=self._clock())

    async def settled(self, results: Sequence[ReceiverResult]) -> None:
        updates = [
            ReceiverUpdate(
                r.position,
                r.receiver,
                r.status.value,
                _new_order(r.order) if r.order is not None else None,
                r.error.code if r.error is not None else None,
                r.error.detail if r.error is not None else None,
            )
            for r in results
        ]
        await self._repo.record_receivers(self._sub, updates, now=self._clock())
