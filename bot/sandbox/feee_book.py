"""Feee.io simulator, its order book: order numbers, charges, delivery, reclaim, failure,
splits, odd fields, lost answers, price changes and the Python control API.

`bot.sandbox.feee` puts the HTTP API in front of it; its docstring says what is documented
and what is invented.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal

from bot.money import SUN_PER_TRX
from bot.sandbox.feee_model import (
    BUSINESS_CLOSED,
    BUSINESS_FILLED,
    BUSINESS_FINISHED,
    BUSINESS_PENDING,
    COERCERS,
    DELEGATED,
    FAILED,
    FINAL,
    LOST_ANSWER_MODES,
    PAID,
    PARTIAL,
    RECLAIMED,
    TRX_QUANTUM,
    Duration,
    FeeeOrder,
    FeeeSettings,
    LostAnswer,
    Reprice,
)
from bot.sandbox.order_book import OrderBookSimulator
from bot.sandbox.values import derive_address, new_txid


class FeeeBook(OrderBookSimulator[FeeeSettings, Decimal, FeeeOrder]):
    """The state behind the API; delivery and reclaim run on the simulated clock. Keywords:
    host, port, any `FeeeSettings` field, and `balance` (TRX)."""

    settings_type = FeeeSettings
    coercers = COERCERS
    default_balance = Decimal(1000)

    def _init_state(self) -> None:
        # Orders are the top-level ones; split children are reached through `_index`.
        self._index: dict[str, FeeeOrder] = {}  # top-level orders and split children
        self._numbers = itertools.count(secrets.randbelow(10**9))
        self._lost_answers: list[LostAnswer] = []
        self._reprices: list[Reprice] = []
        self._losing: LostAnswer | None = None  # set by `_place` for the current request

    @property
    def recharge_address(self) -> str:
        return derive_address(f"feee-sim:recharge:{self._settings.api_key}")

    def _order_no(self) -> str:
        stamp = datetime.fromtimestamp(self.now(), UTC).strftime("%y%m%d%H%M%S")
        return f"{stamp}{next(self._numbers) % 10**10:010d}"

    # ---- Python control API (thread-safe) ---------------------------------------------

    def order(self, order_no: str) -> dict[str, object] | None:
        with self._lock:
            self._tick_locked()
            found = self._index.get(order_no)
            return found.detail() if found else None

    def deliver(self, order_no: str | None = None) -> list[str]:
        """Delegate now: one order or child, a split parent's waiting children, or all."""
        return self._each(order_no, PAID, self._deliver)

    def reclaim(self, order_no: str | None = None) -> list[str]:
        """End the rental now for delegated orders (status 9), as at rent_expire_time."""
        return self._each(order_no, DELEGATED, lambda unit, _: self._reclaim(unit))

    def fail(self, order_no: str) -> list[str]:
        """Delegation failed (status 7) for an order or child not yet delegated; refunds."""
        return self._each(order_no, PAID, self._fail)

    def _each(
        self, order_no: str | None, status: int, act: Callable[[FeeeOrder, float], None]
    ) -> list[str]:
        """`act` now on the units of `order_no` (or all) in `status`; returns their numbers."""
        with self._lock:
            self._tick_locked()
            now = self.now()
            done = [unit for unit in self._units(order_no) if unit.status == status]
            for unit in done:
                act(unit, now)
            self._settle()
            return [unit.order_no for unit in done]

    def split(self, order_no: str, parts: int | Sequence[int]) -> dict[str, object]:
        """Split a waiting order into children of the given sizes (or N equal parts)."""
        with self._lock:
            self._tick_locked()
            order = self._orders.get(order_no)
            if order is None or order.children or order.status != PAID:
                raise ValueError(f"order {order_no} is not a waiting, unsplit order")
            if isinstance(parts, int):
                if parts < 2:
                    raise ValueError("split into at least 2 parts")
                share, extra = divmod(order.resource_value, parts)
                sizes = [share + (1 if i < extra else 0) for i in range(parts)]
            else:
                sizes = list(parts)
            if len(sizes) < 2 or min(sizes) < 1 or sum(sizes) != order.resource_value:
                raise ValueError(
                    f"parts must be >= 2 positive values summing to {order.resource_value}"
                )
            paid = Decimal(0)
            for index, size in enumerate(sizes):
                last = index == len(sizes) - 1
                share_paid = (order.pay_amount * size / order.resource_value).quantize(
                    TRX_QUANTUM, rounding=ROUND_DOWN
                )
                child = FeeeOrder(
                    order_no=self._order_no(),
                    receive_address=order.receive_address,
                    resource_value=size,
                    price_in_sun=order.price_in_sun,
                    duration=order.duration,
                    pay_amount=order.pay_amount - paid if last else share_paid,
                    create_time=order.create_time,
                    is_child=True,
                )
                paid += child.pay_amount
                order.children.append(child)
                self._index[child.order_no] = child
            self._roll_up(order)
            return order.detail()

    def lose_answer(self, nth: int = 1, mode: str = "error500", seconds: float = 0.0) -> None:
        """The `nth` create request from now (1 = the next; submit_v2 and create_v3 alike)
        is carried out, then its answer is lost: "error500" answers HTTP 500 after the
        order was created; "delay" answers only after `seconds` (a timeout for a client
        that waits less). Several rules can be pending at once."""
        if nth < 1 or mode not in LOST_ANSWER_MODES or seconds < 0:
            raise ValueError(f"nth >= 1, mode one of {', '.join(LOST_ANSWER_MODES)}, seconds >= 0")
        with self._lock:
            self._lost_answers.append(LostAnswer(nth, mode, seconds))

    def reprice_after(
        self, orders: int, *, price_v2: int | None = None, price_v3: int | None = None
    ) -> None:
        """Change the prices once `orders` more orders are created (0 = now)."""
        if orders < 0 or (price_v2 is None and price_v3 is None):
            raise ValueError("orders >= 0 and at least one of price_v2, price_v3")
        with self._lock:
            self._reprices.append(Reprice(orders, price_v2, price_v3))
            self._apply_reprices()

    def _apply_reprices(self) -> None:
        for rule in [r for r in self._reprices if r.remaining <= 0]:
            if rule.price_v2 is not None:
                self._settings = replace(self._settings, price_v2=rule.price_v2)
            if rule.price_v3 is not None:
                self._settings = replace(self._settings, price_v3=rule.price_v3)
            self._reprices.remove(rule)

    def set_status(
        self, order_no: str, status: int, business_status: int | None = None
    ) -> dict[str, object]:
        """Force any status code; no other side effect."""
        with self._lock:
            order = self._index.get(order_no)
            if order is None:
                raise KeyError(f"no order {order_no}")
            order.status = status
            if business_status is not None:
                order.business_status = business_status
            self._settle()
            return order.detail()

    def set_odd_fields(
        self, order_no: str, *, null: Sequence[str] = (), missing: Sequence[str] = ()
    ) -> dict[str, object]:
        """Answer about this order (or child) with `null` fields set to null and
        `missing` ones left out, from now on; empty lists end it. State is unchanged."""
        with self._lock:
            order = self._index.get(order_no)
            if order is None:
                raise KeyError(f"no order {order_no}")
            order.null_fields = frozenset(null)
            order.missing_fields = frozenset(missing)
            return order.detail()

    def _units(self, order_no: str | None) -> list[FeeeOrder]:
        if order_no is None:
            return [unit for order in self._open.values() for unit in order.units]
        order = self._index.get(order_no)
        if order is None:
            raise KeyError(f"no order {order_no}")
        return order.units

    # ---- lifecycle (lock held) ----------------------------------------------------------

    def _deliver(self, unit: FeeeOrder, at: float) -> None:
        unit.status, unit.business_status = DELEGATED, BUSINESS_FILLED
        unit.frozen_tx_id = new_txid()
        unit.frozen_resource_value = unit.resource_value
        unit.freeze_time = at
        unit.rent_expire_time = at + unit.duration.seconds

    def _reclaim(self, unit: FeeeOrder) -> None:
        unit.status, unit.business_status = RECLAIMED, BUSINESS_FINISHED

    def _fail(self, unit: FeeeOrder, at: float) -> None:
        unit.status, unit.business_status = FAILED, BUSINESS_CLOSED
        self._refund(unit, at)

    def _refund(self, unit: FeeeOrder, at: float) -> None:
        unit.refund_amount = unit.pay_amount
        unit.refund_time = at
        self._balance += unit.pay_amount

    def _roll_up(self, parent: FeeeOrder) -> None:
        """A split parent's fields follow its children."""
        children = parent.children
        statuses = {child.status for child in children}
        if len(statuses) == 1:
            parent.status = children[0].status
            parent.business_status = children[0].business_status
        elif statuses <= FINAL:
            delivered = any(child.frozen_tx_id for child in children)
            parent.status = RECLAIMED if delivered else FAILED
            parent.business_status = BUSINESS_FINISHED if delivered else BUSINESS_CLOSED
        else:
            parent.status, parent.business_status = PARTIAL, BUSINESS_PENDING
        parent.frozen_resource_value = sum(child.frozen_resource_value for child in children)
        parent.refund_amount = sum((child.refund_amount for child in children), Decimal(0))
        parent.refund_time = max((c.refund_time for c in children if c.refund_time), default=None)
        parent.freeze_time = max((c.freeze_time for c in children if c.freeze_time), default=None)
        parent.rent_expire_time = max(
            (c.rent_expire_time for c in children if c.rent_expire_time), default=None
        )
        all_delivered = all(child.frozen_tx_id for child in children)
        parent.frozen_tx_id = children[0].frozen_tx_id if all_delivered else ""

    def _settle(self) -> None:
        for order in list(self._open.values()):
            if order.children:
                self._roll_up(order)
            if order.status in FINAL:
                del self._open[order.order_no]

    def _tick_locked(self) -> None:
        now = self.now()
        auto = self._settings.auto_deliver_after
        for order in self._open.values():
            for unit in order.units:
                if unit.status == PAID and auto is not None and unit.create_time + auto <= now:
                    self._deliver(unit, unit.create_time + auto)
                expiry = unit.rent_expire_time
                if unit.status == DELEGATED and expiry is not None and expiry <= now:
                    self._reclaim(unit)
        self._settle()

    # ---- base hooks -------------------------------------------------------------------

    def _order_json(self, order: FeeeOrder) -> dict[str, object]:
        return order.detail()

    def _reset_locked(self) -> None:
        super()._reset_locked()
        self._index.clear()
        self._lost_answers.clear()
        self._reprices.clear()

    def _pay_amount(self, value: int, price: int, duration: Duration) -> Decimal:
        energy_trx = Decimal(value * price * duration.days) / SUN_PER_TRX
        return energy_trx + self._settings.service_fee
