"""TronSave Fast Charge behind the provider-neutral interface."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from bot.domain import OrderState, ProviderName
from bot.providers.tronsave import HistoryOrder, TronSaveClient
from bot.services.ports import (
    ActionOutcome,
    Balance,
    OrderRequest,
    Quote,
    ReceiverResult,
    ReceiverStatus,
    Settlement,
    StatusUpdate,
    SubmitProgress,
    SubmitResult,
    Unreadable,
)
from bot.storage.repository import NewOrder, Order, Submission

log = logging.getLogger(__name__)

# The docs disagree on the matched status ("Matched" in prose, "Completed" in the
# example); both mean the energy was delegated.
_STATES = {"pending": OrderState.PENDING, "matched": OrderState.MATCHED}
_STATES["completed"] = OrderState.MATCHED
# History rows are searched from a little before the submission, for clock skew.
_SKEW_MS = 120_000
_HISTORY_PAGE = 50
_HISTORY_MAX_PAGES = 40


def state_of(status: str) -> OrderState:
    return _STATES.get(status.strip().lower(), OrderState.UNKNOWN)


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

    def check_request(self, request: OrderRequest) -> str | None:
        return None

    async def quote(self, request: OrderRequest) -> Quote:
        est = await self._client.estimate(
            amount=request.amount,
            duration_sec=request.duration_sec,
            max_price=request.max_price,
            receiver_count=len(request.receivers),
        )
        can_match = est.able_to_match
        if can_match is None:
            can_match = est.max_receiver_can_provide >= len(request.receivers)
        return Quote(
            provider=self.name,
            unit_price_sun=est.unit_price_sun,
            total_sun=est.charge_amount_sun,
            balance_sun=est.internal_balance_sun,
            can_match=can_match,
            receivers_available=est.max_receiver_can_provide,
        )

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
                order=NewOrder(
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

    async def recover(self, submission: Submission) -> list[NewOrder] | None:
        """History rows for the submission's receivers with its amount and duration,
        created since shortly before it started, oldest first."""
        start_ms = int(submission.created_at * 1000) - _SKEW_MS
        rows = await self._history_since(start_ms, stop=lambda _: False)
        wanted = set(submission.receivers)
        matching = [
            row
            for row in rows
            if row.receiver in wanted
            and row.amount == submission.amount
            and row.charge_duration_sec in (None, submission.duration_sec)
        ]
        matching.sort(key=lambda r: r.created_at.timestamp() if r.created_at else 0.0)
        deadline_at = submission.created_at + submission.deadline_sec
        return [
            NewOrder(
                provider_order_id=row.id,
                receiver=row.receiver,
                amount=submission.amount,
                duration_sec=submission.duration_sec,
                raw_status=row.status,
                state=state_of(row.status) if row.status else OrderState.PENDING,
                deadline_at=deadline_at,
                charge_sun=row.charge_amount_sun,
            )
            for row in matching
        ]

    async def track(self, orders: Sequence[Order]) -> list[StatusUpdate | Unreadable]:
        answers: list[StatusUpdate | Unreadable] = []
        ids = [o.provider_order_id for o in orders]
        for start in range(0, len(ids), self.track_batch):
            for r in await self._client.track(ids[start : start + self.track_batch]):
                if r.status is None:
                    answers.append(Unreadable(r.order_id, "NO_STATUS"))
                else:
                    answers.append(StatusUpdate(r.order_id, state_of(r.status), r.status))
        return answers

    async def confirm(self, orders: Sequence[Order]) -> list[ActionOutcome]:
        results = await self._client.confirm([o.provider_order_id for o in orders])
        return [ActionOutcome(r.order_id, r.is_success, r.fail_reason) for r in results]

    async def cancel(self, orders: Sequence[Order]) -> list[ActionOutcome]:
        results = await self._client.cancel([o.provider_order_id for o in orders])
        return [ActionOutcome(r.order_id, r.is_success, r.fail_reason) for r in results]

    async def settlements(self, orders: Sequence[Order]) -> list[Settlement]:
        if not orders:
            return []
        wanted = {o.provider_order_id for o in orders}
        start_ms = int(min(o.created_at for o in orders) * 1000) - _SKEW_MS
        found: dict[str, HistoryOrder] = {}

        def collect(row: HistoryOrder) -> bool:
            if row.id in wanted:
                found[row.id] = row
            return found.keys() >= wanted

        await self._history_since(start_ms, stop=collect)
        return [
            Settlement(oid, row.charge_amount_sun, row.repay_amount_sun)
            for oid, row in found.items()
        ]

    def can_cancel(self, order: Order, now: float) -> bool:
        return order.state is OrderState.PENDING

    async def balance(self) -> Balance:
        info = await self._client.user_info()
        return Balance(self.name, info.balance_sun, info.deposit_address)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _history_since(
        self, start_ms: int, *, stop: Callable[[HistoryOrder], bool]
    ) -> list[HistoryOrder]:
        """History rows created since `start_ms`, newest first, until `stop` says enough."""
        end_ms = int(self._clock() * 1000) + _SKEW_MS
        rows: list[HistoryOrder] = []
        for page in range(_HISTORY_MAX_PAGES):
            batch = await self._client.history(
                from_ms=start_ms, to_ms=end_ms, page=page, page_size=_HISTORY_PAGE
            )
            for row in batch.results:
                rows.append(row)
                if stop(row):
                    return rows
            if len(batch.results) < _HISTORY_PAGE or (page + 1) * _HISTORY_PAGE >= batch.total:
                break
        return rows
