"""TronSave Fast Charge behind the provider-neutral interface: price, submit, track,
confirm, cancel, balance; the history searches (recovery, settlements) are in
`history_search`, the tracking request's size in `tracking`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from bot.domain import PlacedOrder, ProviderName
from bot.parsing import MAX_PRICE
from bot.providers.errors import FailureReason, ProviderError, ProviderUnavailable
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
from bot.providers.tronsave.history_search import HistorySearch
from bot.providers.tronsave.status import cancellable, state_of
from bot.providers.tronsave.tracking import TIMEOUT_SPLITS, TrackSize, refuses_size, unanswered

log = logging.getLogger(__name__)

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
        track_chunk: int | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._track_size = TrackSize(track_chunk)
        self.track_batch = self._track_size.limit  # read by the poller before each chunk
        self._clock = clock
        self.key_id = client.key_id
        self._history = HistorySearch(client, clock=clock)

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
        """What a create whose answer was lost ordered, read from the history (see
        `HistorySearch.recover`)."""
        return await self._history.recover(submission)

    async def track(self, orders: Sequence[TrackedOrder]) -> list[StatusUpdate | Unreadable]:
        """Every order asked about, in as few requests as the API takes (see
        `tracking`); all answers come back together, so a submission larger than one
        request still makes one push. A failure that is not about the size is raised."""
        size = self._track_size
        answers: list[StatusUpdate | Unreadable] = []
        pieces = _pieces([o.provider_order_id for o in orders], size.limit)
        splits = TIMEOUT_SPLITS
        while pieces:
            piece = pieces[0]
            proven = size.proven(len(piece)) or len(piece) == 1
            try:
                # An unproven size that got no answer is split, not sent whole again.
                results = await self._client.track(piece, retry_lost=proven)
            except ProviderError as exc:
                if len(piece) > 1 and refuses_size(exc):
                    limit = size.refused(len(piece))
                elif not proven and unanswered(exc) and splits > 0:
                    splits -= 1
                    limit = size.unanswered(len(piece))
                else:
                    self.track_batch = size.limit
                    raise
                pieces = _pieces([i for p in pieces for i in p], limit)
                continue
            pieces.pop(0)
            size.answered(len(piece))
            for r in results:
                if r.status is None:
                    answers.append(Unreadable(r.order_id, "NO_STATUS"))
                else:
                    answers.append(StatusUpdate(r.order_id, state_of(r.status), r.status))
        self.track_batch = size.limit
        return answers

    async def confirm(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        results = await self._client.confirm([o.provider_order_id for o in orders])
        return [ActionOutcome(r.order_id, r.is_success, r.fail_reason) for r in results]

    async def cancel(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        results = await self._client.cancel([o.provider_order_id for o in orders])
        return [ActionOutcome(r.order_id, r.is_success, r.fail_reason) for r in results]

    async def settlements(self, orders: Sequence[TrackedOrder]) -> list[Settlement]:
        return await self._history.settlements(orders)

    def can_cancel(self, order: TrackedOrder, now: float) -> bool:
        return cancellable(order.state)

    async def balance(self) -> Balance:
        info = await self._client.user_info()
        return Balance(self.name, info.balance_sun, info.deposit_address)

    async def aclose(self) -> None:
        await self._client.aclose()


def billed_days(duration_sec: int) -> int:
    """Days a rental is billed for: the unit price is per day, at least one day."""
    return max(1, -(-duration_sec // _DAY))


def _positive(value: int | None) -> int | None:
    """A price or charge the bot can use: a zero or negative one is as good as none."""
    return value if value is not None and value > 0 else None


def _pieces(ids: list[str], size: int) -> list[list[str]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]
