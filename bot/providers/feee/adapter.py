"""Feee.io behind the provider-neutral interface.

Feee differs from TronSave in ways the bot absorbs here: one order per receiver, no
max-price parameter (checked against a fresh quote, fee included, right before each
receiver's order), a fixed set of durations, no early confirmation, cancellation only
after five minutes, and no order list to reconcile a lost answer with.

Submitting loops over the receivers and stops at the first one whose outcome is
unknown: that order may exist and may have spent the balance, so sending the next one
"blindly" could over-spend, and the user must check that receiver first anyway. A
definite refusal that concerns only its receiver (not activated, too many open orders)
does not stop the others; any other refusal does, since it would refuse them too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from bot.domain import OrderState, PlacedOrder, ProviderName
from bot.providers.errors import (
    FailureReason,
    ProviderAuthError,
    ProviderBusinessError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from bot.providers.feee import status as statuses
from bot.providers.feee.client import FeeeClient
from bot.providers.feee.durations import FeeeDuration, UnsupportedDuration
from bot.providers.feee.models import FeeeOrder
from bot.providers.feee.reasons import RECEIVER_ONLY
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

log = logging.getLogger(__name__)


def _update(order: FeeeOrder, ordered: int | None = None) -> StatusUpdate:
    return StatusUpdate(
        provider_order_id=order.order_no,
        state=statuses.order_state(order, ordered),
        raw_status=str(order.status),
        delivered_amount=order.frozen_resource_value or None,
        delegate_txid=order.frozen_tx_id or None,
        refund_sun=order.refund_sun or None,
        ends_at=float(order.rent_expire_time) if order.rent_expire_time else None,
        provider_created_at=float(order.create_time) if order.create_time else None,
    )


def _settlement(record: FeeeOrder, ordered: int) -> Settlement | None:
    """The money of a closed order's record; None while it is open or says nothing."""
    state = statuses.order_state(record, ordered)
    if state.is_open:
        return None
    charge = record.pay_sun or None
    if state is OrderState.COMPLETED:
        refund: int | None = record.refund_sun
    else:
        refund = record.refund_sun or None
    if charge is None and refund is None:
        return None
    return Settlement(record.order_no, charge_sun=charge, refund_sun=refund)


def _goes_on(result: ReceiverResult) -> bool:
    """Whether the loop may go on after this receiver: ordered, or refused for a reason
    about this receiver alone."""
    if result.status is ReceiverStatus.ORDERED:
        return True
    return (
        result.status is ReceiverStatus.REFUSED
        and result.error is not None
        and result.error.reason in RECEIVER_ONLY
    )


class FeeeProvider:
    name = ProviderName.FEEE
    supports_confirm = False
    track_batch = 25  # one query per order: commit every few seconds at 5 requests/s
    durations: tuple[int, ...] = tuple(d.seconds for d in FeeeDuration.choices())

    def __init__(self, client: FeeeClient, *, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock
        self.key_id = client.key_id

    def check_request(self, request: OrderRequest) -> FailureReason | None:
        try:
            FeeeDuration.from_seconds(request.duration_sec)
        except UnsupportedDuration:
            return FailureReason.UNSUPPORTED_DURATION
        return None

    async def price(self, amount: int, duration_sec: int) -> PriceQuote:
        """The price of one order (Feee orders one receiver at a time), fee included."""
        duration = FeeeDuration.from_seconds(duration_sec)
        price = await self._client.price(resource_value=amount, duration=duration)
        return PriceQuote(
            provider=self.name,
            unit_price_sun=price.paid_unit_price,  # fee included: what the user pays
            receiver_sun=price.pay_sun,
        )

    def submit_seconds(self, request: OrderRequest) -> float:
        # A price check and a create per receiver, at the key's request pace.
        return 2 * len(request.receivers) * self._client.request_interval

    async def submit(self, request: OrderRequest, progress: SubmitProgress) -> SubmitResult:
        duration = FeeeDuration.from_seconds(request.duration_sec)
        results: list[ReceiverResult] = []
        stop: ProviderError | None = None
        for position, receiver in enumerate(request.receivers):
            if stop is None:
                result = await self._one(request, duration, position, receiver, progress)
                if not _goes_on(result):
                    stop = result.error or ProviderUnavailable(
                        "feee", "STOPPED", outcome_unknown=False
                    )
            else:
                result = ReceiverResult(position, receiver, ReceiverStatus.NOT_ATTEMPTED)
            results.append(result)
        if stop is not None:
            log.info("feee submit stopped: %s %s", stop.reason, stop.code)
        return SubmitResult(results, stop)

    async def _one(
        self,
        request: OrderRequest,
        duration: FeeeDuration,
        position: int,
        receiver: str,
        progress: SubmitProgress,
    ) -> ReceiverResult:
        """Check the price, then order for one receiver; the outcome is stored (through
        `progress`) before this returns."""
        try:
            # Feee takes no max price: enforce the user's, fee included, right before.
            price = await self._client.price(resource_value=request.amount, duration=duration)
        except ProviderError as exc:  # a read: nothing was ordered
            return ReceiverResult(position, receiver, ReceiverStatus.NOT_ATTEMPTED, error=exc)
        paid = price.paid_unit_price
        if paid > request.max_price:
            # Found by the bot, not said by Feee: no provider code.
            above = ProviderBusinessError(
                "feee", "", f"{paid} > {request.max_price}", reason=FailureReason.PRICE_ABOVE_MAX
            )
            result = ReceiverResult(position, receiver, ReceiverStatus.PRICE_ROSE, error=above)
            await progress.settled([result])
            return result
        await progress.sending([position])
        try:
            order = await self._client.submit(
                receive_address=receiver, resource_value=request.amount, duration=duration
            )
        except ProviderUnavailable as exc:
            status = ReceiverStatus.UNCERTAIN if exc.outcome_unknown else ReceiverStatus.REFUSED
            if exc.outcome_unknown:
                log.warning(
                    "feee order %d of a submission may or may not exist: %s", position, exc.code
                )
            result = ReceiverResult(position, receiver, status, error=exc)
        except ProviderError as exc:
            result = ReceiverResult(position, receiver, ReceiverStatus.REFUSED, error=exc)
        else:
            if not (order.order_no.isascii() and order.order_no.isalnum()):
                # Created, most likely, but with no id it can be neither tracked nor named.
                lost = ProviderUnavailable(
                    "feee", "BAD_RESPONSE", "order_no", outcome_unknown=True
                )
                result = ReceiverResult(position, receiver, ReceiverStatus.UNCERTAIN, error=lost)
                await progress.settled([result])
                return result
            update = _update(order)
            placed = PlacedOrder(
                provider_order_id=order.order_no,
                receiver=receiver,
                amount=request.amount,
                duration_sec=request.duration_sec,
                state=update.state,
                raw_status=None if order.status is None else update.raw_status,
                charge_sun=order.pay_sun or None,
                provider_created_at=update.provider_created_at,
            )
            result = ReceiverResult(position, receiver, ReceiverStatus.ORDERED, placed)
        await progress.settled([result])
        return result

    async def recover(self, submission: SubmissionQuery) -> list[PlacedOrder] | None:
        return None  # Feee has no order list to search

    async def track(self, orders: Sequence[TrackedOrder]) -> list[StatusUpdate | Unreadable]:
        """One query per order, each answer on its own: a refused or odd record makes
        only that order unreadable. A transient failure (5xx, timeout, 429) skips the
        rest of this batch until the next cycle instead of hammering a struggling Feee;
        a refused key raises, since every query would fail alike."""
        answers: list[StatusUpdate | Unreadable] = []
        for index, order in enumerate(orders):
            oid = order.provider_order_id
            try:
                record = await self._client.query(oid)
            except ProviderAuthError:
                raise
            except ProviderBusinessError as exc:
                log.warning("feee query for order %s refused: %s", oid, exc.code)
                answers.append(Unreadable(oid, exc.code))
                continue
            except (ProviderUnavailable, ProviderRateLimited) as exc:
                if isinstance(exc, ProviderUnavailable) and exc.code == "BAD_RESPONSE":
                    answers.append(Unreadable(oid, exc.code))
                    continue
                answers.extend(
                    Unreadable(o.provider_order_id, exc.code, transient=True)
                    for o in orders[index:]
                )
                break
            except (ProviderError, ValueError) as exc:  # e.g. a malformed stored id
                answers.append(Unreadable(oid, getattr(exc, "code", type(exc).__name__)))
                continue
            if record.status is None:
                answers.append(Unreadable(oid, "NO_STATUS"))
            elif record.order_no != oid:
                answers.append(Unreadable(oid, "OTHER_ORDER"))
            else:
                answers.append(_update(record, order.amount))
        return answers

    async def confirm(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        return []

    async def cancel(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]:
        outcomes: list[ActionOutcome] = []
        for order in orders:
            try:
                result = await self._client.cancel(order.provider_order_id)
            except ProviderBusinessError as exc:
                outcomes.append(
                    ActionOutcome(order.provider_order_id, False, f"{exc.code} {exc.detail}")
                )
                continue
            # 11 (cancellation pending) is not a refund yet: the poller reports the
            # cancellation once Feee shows 12 or 14.
            done = statuses.order_state(result, order.amount) is OrderState.CANCELLED
            outcomes.append(
                ActionOutcome(
                    order.provider_order_id,
                    done,
                    None if done else str(result.status),
                    refund_sun=result.refund_sun or None,
                )
            )
        return outcomes

    async def settlements(self, orders: Sequence[TrackedOrder]) -> list[Settlement]:
        """Charge and refund from each order's own record (`pay_amount`,
        `refund_amount`), once Feee shows it closed. A completed rental's refund of 0 is
        a figure; a cancelled or failed order's 0 is a refund not credited yet, so it
        stays unknown. One query per order; a transient failure ends this round (what
        was read is kept), a refused key raises."""
        found: list[Settlement] = []
        for order in orders:
            try:
                record = await self._client.query(order.provider_order_id)
            except ProviderAuthError:
                raise
            except (ProviderUnavailable, ProviderRateLimited) as exc:
                log.info("feee settlements: stopped at a transient failure: %s", exc.code)
                break
            except (ProviderError, ValueError) as exc:
                log.info("feee settlements: order %s not read: %s", order.provider_order_id, exc)
                continue
            if record.order_no != order.provider_order_id:
                continue
            settlement = _settlement(record, order.amount)
            if settlement is not None:
                found.append(settlement)
        return found

    def can_cancel(self, order: TrackedOrder, now: float) -> bool:
        created = order.provider_created_at or order.created_at
        return statuses.cancellable(order.state, order.raw_status, created, now)

    async def balance(self) -> Balance:
        account = await self._client.account()
        return Balance(self.name, account.balance_sun, account.recharge_address)

    async def aclose(self) -> None:
        await self._client.aclose()
