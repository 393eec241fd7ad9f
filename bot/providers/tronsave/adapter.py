"""TronSave Fast Charge behind the provider-neutral interface."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC

from bot.domain import OrderState, PlacedOrder, ProviderName
from bot.parsing import MAX_PRICE
from bot.providers.clock import OffsetBound
from bot.providers.errors import FailureReason, ProviderUnavailable
from bot.providers.port import (
    ActionOutcome,
    Balance,
    OrderRequest,
    PriceQuote,
    ReceiverResult,
    ReceiverStatus,
    Settlement,
    StatusUpdate,
    SubmissionQuery,
    SubmitProgress,
    SubmitResult,
    TrackedOrder,
    Unreadable,
)
from bot.providers.tronsave.client import TronSaveClient
from bot.providers.tronsave.models import HistoryOrder
from bot.providers.tronsave.status import cancellable, state_of

log = logging.getLogger(__name__)

# The history is queried a little past the measured clock bounds, so rows at the edges
# are seen even if the measurement moves during the search; rows are then matched against
# the bounds themselves. Before the first measurement the query is wider: the search's own
# answers measure the clock.
_QUERY_PAD = 2.0
# How tightly the clock offset is measured before matching (plus the round trip): an
# order by something else can be mistaken for ours only if made this close before ours.
_CLOCK_TARGET = 0.05
_UNMEASURED_PAD = 300.0
_PAGE_SIZE = 100  # asked for; the server may serve fewer (its maximum is unknown)
_MAX_PAGES = 200
_MAX_RESTARTS = 2
_SETTLEMENT_PAGES = 20  # a user waits on it; missing figures are just shown later
_INCOMPLETE = "HISTORY_INCOMPLETE"
PROVIDER_NAME = ProviderName.TRONSAVE.value
# The max price sent with the shared estimate: the highest a user may set (parsing), so
# `able_to_match` speaks of supply alone and one answer fits every chat's max price.
ESTIMATE_MAX_PRICE = MAX_PRICE
_DAY = 86_400


class TronSaveProvider:
    name = ProviderName.TRONSAVE
    supports_confirm = True
    durations: tuple[int, ...] = (900, 3_600, 86_400, 3 * 86_400)

    def __init__(
        self,
        client: TronSaveClient,
        *,
        track_chunk: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self.track_batch = track_chunk
        self._clock = clock
        self.key_id = client.key_id
        self.unreadable_rows = 0  # in the last history scan

    def check_request(self, request: OrderRequest) -> FailureReason | None:
        return None

    async def price(self, amount: int, duration_sec: int) -> PriceQuote:
        """One receiver's estimate, asked at the highest max price a user may set, so
        the answer serves every chat asking for this amount and duration (each chat's
        max price is compared with the unit price by the caller). Null or missing
        numbers are derived from the others where the pricing rule allows (charge = unit
        price x amount x billed days); with neither price nor charge it is unreadable."""
        est = await self._client.estimate(
            amount=amount,
            duration_sec=duration_sec,
            max_price=ESTIMATE_MAX_PRICE,
            receiver_count=1,
        )
        days = billed_days(duration_sec)
        unit, charge = _positive(est.unit_price_sun), _positive(est.charge_amount_sun)
        if unit is None and charge is None:
            # A read: nothing can have been ordered, whatever the answer says.
            raise ProviderUnavailable(
                PROVIDER_NAME, "BAD_RESPONSE", "no price in the estimate", outcome_unknown=False
            )
        if charge is None:
            assert unit is not None
            charge = unit * amount * days
        if unit is None:
            unit = -(-charge // (amount * days))  # rounded up: the safe side of a max price
        available = est.max_receiver_can_provide
        return PriceQuote(
            provider=self.name,
            unit_price_sun=unit,
            receiver_sun=charge,
            receivers_available=available if available is not None and available >= 0 else None,
            can_match_one=est.able_to_match,
            balance_sun=est.internal_balance_sun,
        )

    def submit_seconds(self, request: OrderRequest) -> float:
        # One create call for every receiver, one per pacing interval.
        return self._client.create_interval

    async def submit(self, request: OrderRequest, progress: SubmitProgress) -> SubmitResult:
        # One create call for every receiver: a lost answer leaves the whole request
        # uncertain (raised), and the history lookup in `recover` settles it.
        ids = await self._client.create_order(
            amount=request.amount,
            duration_sec=request.duration_sec,
            max_price=request.max_price,
            receivers=request.receivers,
            deadline_sec=request.deadline_sec,
        )
        paired = len(ids) == len(request.receivers)
        if not paired:
            # The docs imply one id per receiver, in order; if not, keep every id anyway.
            log.warning(
                "create returned %d ids for %d receivers", len(ids), len(request.receivers)
            )
        deadline_at = self._clock() + request.deadline_sec
        results = [
            ReceiverResult(
                position=i if paired else None,
                receiver=request.receivers[i] if paired else None,
                status=ReceiverStatus.ORDERED,
                order=PlacedOrder(
                    provider_order_id=oid,
                    receiver=request.receivers[i] if paired else None,
                    amount=request.amount,
                    duration_sec=request.duration_sec,
                    raw_status="Pending",
                    deadline_at=deadline_at,
                ),
            )
            for i, oid in enumerate(ids)
        ]
        await progress.settled(results)
        return SubmitResult(results)

    async def recover(self, submission: SubmissionQuery) -> list[PlacedOrder] | None:
        """History rows that can only be this submission's: every field the history gives
        matches the request, and each was created between the moment the create request
        went out and the moment it could last have acted, on the provider's clock as
        measured. Rows of one create share a request_id; groups that do not fit the
        submission's receivers are left out. Oldest group first.

        Raises ProviderUnavailable (HISTORY_INCOMPLETE) when the search cannot be finished
        or the provider's clock cannot be measured: the outcome then stays unknown.
        """
        sent = submission.sent_at if submission.sent_at is not None else submission.created_at
        until = submission.answer_by if submission.answer_by is not None else self._clock()
        await self._client.measure_clock(target_width=_CLOCK_TARGET)
        before = self._offset(submission)
        pad = _QUERY_PAD if before is not None else _UNMEASURED_PAD
        low0, high0 = (before.low, before.high) if before is not None else (0.0, 0.0)
        query_from, query_to = sent + low0 - pad, until + high0 + pad
        rows = await self._scan(_ms(query_from), _ms(query_to))
        bound = self._offset(submission)
        if bound is None:
            raise _incomplete("the provider's clock could not be measured (no Date header)")
        earliest, latest = sent + bound.low, until + bound.high
        if earliest < query_from or latest > query_to:
            # The measurement moved while searching; the next search uses the new one.
            raise _incomplete("the clock estimate moved outside the searched window")
        groups: dict[str, list[tuple[float, HistoryOrder]]] = {}
        for row in rows:
            created = _created_ts(row)
            if created is None or not earliest <= created <= latest:
                continue
            if not _fits(row, submission):
                continue
            groups.setdefault(row.request_id or f"row:{row.id}", []).append((created, row))
        wanted = Counter(submission.receivers)
        plausible = [
            sorted(members, key=lambda m: m[0])
            for members in groups.values()
            if not Counter(row.receiver or "" for _, row in members) - wanted
        ]
        plausible.sort(key=lambda members: members[0][0])
        if self.unreadable_rows and not plausible:
            # One of the unreadable rows may be ours: that is not "nothing found".
            raise _incomplete(f"{self.unreadable_rows} unreadable history row(s)")
        return [
            PlacedOrder(
                provider_order_id=row.id,
                receiver=row.receiver,
                amount=submission.amount,
                duration_sec=submission.duration_sec,
                raw_status=row.status,
                state=state_of(row.status) if row.status else OrderState.PENDING,
                # Its deadline runs from its creation, converted to our clock (late side).
                deadline_at=created - bound.low + submission.deadline_sec,
                charge_sun=row.charge_amount_sun,
                provider_created_at=created,
                request_id=row.request_id,
            )
            for members in plausible
            for created, row in members
        ]

    def _offset(self, submission: SubmissionQuery) -> OffsetBound | None:
        """The measured offset now, narrowed by the one recorded when the request failed
        (which alone counts if they disagree: our clock was stepped since)."""
        current = self._client.clock_offset()
        low, high = submission.offset_low, submission.offset_high
        recorded = OffsetBound(low, high) if low is not None and high is not None else None
        if current is None or recorded is None:
            return current or recorded
        if current.low > recorded.high or current.high < recorded.low:
            return recorded
        return OffsetBound(max(current.low, recorded.low), min(current.high, recorded.high))

    async def track(self, orders: Sequence[TrackedOrder]) -> list[StatusUpdate | Unreadable]:
        answers: list[StatusUpdate | Unreadable] = []
        ids = [o.provider_order_id for o in orders]
        for start in range(0, len(ids), self.track_batch):
            for r in await self._client.track(ids[start : start + self.track_batch]):
                if r.status is None:
                    answers.append(Unreadable(r.order_id, "NO_STATUS"))
                else:
                    answers.append(StatusUpdate(r.order_id, state_of(r.status), r.status))
        return answers

    async def confirm(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        results = await self._client.confirm([o.provider_order_id for o in orders])
        return [ActionOutcome(r.order_id, r.is_success, r.fail_reason) for r in results]

    async def cancel(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        results = await self._client.cancel([o.provider_order_id for o in orders])
        return [ActionOutcome(r.order_id, r.is_success, r.fail_reason) for r in results]

    async def settlements(self, orders: Sequence[TrackedOrder]) -> list[Settlement]:
        if not orders:
            return []
        wanted = {o.provider_order_id for o in orders}
        bound = self._client.clock_offset()
        low, high = (bound.low, bound.high) if bound is not None else (0.0, 0.0)
        pad = _QUERY_PAD if bound is not None else _UNMEASURED_PAD
        # An order was made at most one timeout before we stored it (or, if adopted from
        # the history, at the provider time recorded then).
        starts = [
            o.provider_created_at
            if o.provider_created_at is not None
            else o.created_at + low - self._client.timeout
            for o in orders
        ]
        found: dict[str, HistoryOrder] = {}

        def collect(row: HistoryOrder) -> bool:
            if row.id in wanted:
                found[row.id] = row
            return found.keys() >= wanted

        try:
            await self._scan(
                _ms(min(starts) - pad),
                _ms(self._clock() + high + pad),
                stop=collect,
                max_pages=_SETTLEMENT_PAGES,
            )
        except ProviderUnavailable as exc:
            if exc.code != _INCOMPLETE:
                raise
            log.warning("settlement search incomplete: %s", exc.detail)
        return [
            Settlement(oid, row.charge_amount_sun, row.repay_amount_sun)
            for oid, row in found.items()
        ]

    def can_cancel(self, order: TrackedOrder, now: float) -> bool:
        return cancellable(order.state)

    async def balance(self) -> Balance:
        info = await self._client.user_info()
        return Balance(self.name, info.balance_sun, info.deposit_address)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _scan(
        self,
        from_ms: int,
        to_ms: int,
        *,
        stop: Callable[[HistoryOrder], bool] | None = None,
        max_pages: int | None = None,
    ) -> list[HistoryOrder]:
        """Every history row created in [from_ms, to_ms] (provider clock), until `stop`.

        The API's largest page is unknown, so pages are counted in the size it really
        serves: a first page that differs from the size asked sets the size, and a later
        page that breaks it restarts the scan at that size (rows are deduplicated). The
        window is done when the rows read reach `total`; a page that ends early, the page
        limit or a failure leaves the search incomplete, and that is raised.
        """
        size = _PAGE_SIZE
        page = restarts = pages = 0
        limit = _MAX_PAGES if max_pages is None else max_pages
        rows: dict[str, HistoryOrder] = {}
        self.unreadable_rows = 0
        while True:
            if pages >= limit:
                raise _incomplete(f"stopped after {pages} pages")
            batch = await self._client.history(
                from_ms=from_ms, to_ms=to_ms, page=page, page_size=size
            )
            pages += 1
            self.unreadable_rows += batch.unreadable
            for row in batch.results:
                rows.setdefault(row.id, row)
                if stop is not None and stop(row):
                    return list(rows.values())
            served = len(batch.results) + batch.unreadable
            if page * size + served >= batch.total:
                return list(rows.values())
            if served == 0:
                raise _incomplete(
                    f"page {page} of {size} rows is empty but the history counts {batch.total}"
                )
            if served != size:
                if page > 0:
                    restarts += 1
                    if restarts > _MAX_RESTARTS:
                        raise _incomplete("the history's page size keeps changing")
                    page = 0
                    size = served
                    continue
                size = served  # the server's own page size: page 1 starts after these
            page += 1


def billed_days(duration_sec: int) -> int:
    """Days a rental is billed for: the unit price is per day, at least one day."""
    return max(1, -(-duration_sec // _DAY))


def _positive(value: int | None) -> int | None:
    """A price or charge the bot can use: a zero or negative one is as good as none."""
    return value if value is not None and value > 0 else None


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _incomplete(detail: str) -> ProviderUnavailable:
    return ProviderUnavailable(PROVIDER_NAME, _INCOMPLETE, detail, outcome_unknown=False)


def _created_ts(row: HistoryOrder) -> float | None:
    if row.created_at is None:
        return None
    moment = row.created_at
    if moment.tzinfo is None:  # the docs' examples end in Z; a bare time is taken as UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _fits(row: HistoryOrder, submission: SubmissionQuery) -> bool:
    """Every field the history gives says the row was made by this request."""
    given: list[tuple[object, object]] = [
        (row.charge_duration_sec, submission.duration_sec),
        (row.max_price_accept, submission.max_price),
        (row.deadline, submission.deadline_sec),
    ]
    return (
        row.receiver in submission.receivers
        and row.amount == submission.amount
        and (row.resource_type is None or row.resource_type.upper() == "ENERGY")
        and all(value is None or value == expected for value, expected in given)
    )
