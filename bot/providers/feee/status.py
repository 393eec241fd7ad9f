"""Feee's order statuses in the bot's terms: the one place that reads them."""

from __future__ import annotations

from typing import Final

from bot.domain import OrderState
from bot.providers.feee.models import FeeeOrder

# Feee refuses cancellation until an order is more than five minutes old [C].
CANCEL_MIN_AGE_SECONDS: Final = 300

KNOWN_STATUSES: Final = frozenset({*range(1, 16), 17})  # the official enum has no 16
_TERMINAL_STATES: Final = {
    8: OrderState.COMPLETED,  # reclaimed, awaiting verification
    9: OrderState.COMPLETED,  # reclaimed: the normal end of a rental
    10: OrderState.COMPLETED,  # reclaim failed: Feee's problem, the lease is over
    12: OrderState.CANCELLED,
    14: OrderState.CANCELLED,  # refunded
    2: OrderState.FAILED,  # no payment before the timeout
    7: OrderState.FAILED,  # delegation failed
}
BUSINESS_CLOSED: Final = 4
_CANCELLING: Final = frozenset({11, 13})  # cancellation or refund already under way


def is_delivered(order: FeeeOrder, ordered: int | None = None) -> bool:
    """Energy really arrived: a delegate tx exists and covers the whole amount.

    Status alone can read "paid" before energy lands (reference §2.5), hence this gate.
    A split parent is delivered when it has children, every child is delivered, and
    together they cover the parent's amount (a partial set of children is not enough).
    `ordered` stands in for a record's missing `resource_value`; with neither, nothing
    proves the whole amount arrived.
    """
    wanted = order.resource_value if order.resource_value is not None else ordered
    if wanted is None:
        return False
    if order.is_split and order.sub_orders:
        return (
            all(is_delivered(sub) for sub in order.sub_orders)
            and sum(sub.frozen_resource_value for sub in order.sub_orders) >= wanted
        )
    return bool(order.frozen_tx_id) and order.frozen_resource_value >= wanted


def order_state(order: FeeeOrder, ordered: int | None = None) -> OrderState:
    """The bot's state for a Feee order. First matching row wins:

    | Feee status / condition                          | OrderState |
    |--------------------------------------------------|------------|
    | not in the official enum 1..15, 17 (0, 16, 99)   | UNKNOWN    |
    | 8, 9, 10 (reclaiming, reclaimed, reclaim failed) | COMPLETED  |
    | 12, 14 (cancelled, refunded)                     | CANCELLED  |
    | 2, 7 (unpaid timeout, delegation failed)         | FAILED     |
    | business_status 4 (closed) and refund > 0,       | CANCELLED  |
    |   unless 11/13 (cancellation / refund pending)   |            |
    | is_delivered() (any remaining status)            | MATCHED    |
    | 1, 3, 4, 5, 6, 11, 13, 15, 17 not delivered      | PENDING    |

    8 and 10 join 9: the lease is over for the user either way (10 is Feee's own
    reclaim problem). 6/17 ("delegated") count as MATCHED only through the
    frozen_tx_id gate. 11 and 13 are not "cancelled and refunded" until Feee says so
    with 12 or 14, whatever refund figure the record already shows. `ordered` stands in
    for a missing `resource_value` (see `is_delivered`).
    """
    if order.status is None or order.status not in KNOWN_STATUSES:
        return OrderState.UNKNOWN
    fixed = _TERMINAL_STATES.get(order.status)
    if fixed is not None:
        return fixed
    closed = order.business_status == BUSINESS_CLOSED and order.refund_sun > 0
    if closed and order.status not in _CANCELLING:
        return OrderState.CANCELLED
    return OrderState.MATCHED if is_delivered(order, ordered) else OrderState.PENDING


def cancellable(state: OrderState, raw_status: str | None, created: float, now: float) -> bool:
    """Whether Feee would accept a cancel for a stored order: still pending, no
    cancellation or refund under way (11, 13), and more than five minutes old."""
    cancelling = raw_status in {str(s) for s in _CANCELLING}
    return (
        state is OrderState.PENDING and not cancelling and now - created > CANCEL_MIN_AGE_SECONDS
    )
