"""TronSave's order history searched: the paged scan (pages counted in the size the API
really serves), the orders of a create whose answer was lost (`recover`), and the
charged and refunded figures of orders (`settlements`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC

from bot.domain import OrderState, PlacedOrder
from bot.providers.clock import OffsetBound
from bot.providers.errors import ProviderUnavailable
from bot.providers.port import Settlement, SubmissionQuery, TrackedOrder
from bot.providers.tronsave.client import TronSaveClient
from bot.providers.tronsave.failures import PROVIDER
from bot.providers.tronsave.models import HistoryOrder
from bot.providers.tronsave.status import state_of

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


class HistorySearch:
    """The history searches behind `TronSaveProvider.recover` and `.settlements`."""

    def __init__(self, client: TronSaveClient, *, clock: Callable[[], float]) -> None:
        self._client = client
        self._clock = clock
        self.unreadable_rows = 0  # in the last history scan

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


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def _incomplete(detail: str) -> ProviderUnavailable:
    return ProviderUnavailable(PROVIDER, _INCOMPLETE, detail, outcome_unknown=False)


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
