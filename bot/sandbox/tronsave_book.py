"""TronSave simulator, its order book: identities, charges, the lifecycle rules (match,
expiry, rental end, confirm, cancel, a lagging history) and the Python control API.

`bot.sandbox.tronsave` puts the HTTP API in front of it; its docstring says what is
documented and what is invented.
"""

from __future__ import annotations

import itertools
import logging
import math
import secrets
import time
from collections.abc import Callable, Iterable, Mapping

from bot.sandbox.order_book import OrderBookSimulator
from bot.sandbox.tronsave_model import (
    CANCELLED,
    COERCERS,
    COMPLETED,
    DELEGATE_SUN_PER_ENERGY,
    EXPIRED,
    PENDING,
    SECONDS_PER_DAY,
    FastChargeOrder,
    TronSaveSettings,
    waiting,
)
from bot.sandbox.values import as_int, as_str, derive_address, new_txid

log = logging.getLogger(__name__)
# receiver, amount, delegated (True) or delegation ended (False)
DelegationListener = Callable[[str, int, bool], None]


class TronSaveBook(OrderBookSimulator[TronSaveSettings, int, FastChargeOrder]):
    """The state behind the API; lifecycle rules run on the simulated clock. Keywords:
    host, port, any `TronSaveSettings` field, and `balance` (SUN)."""

    settings_type = TronSaveSettings
    coercers = COERCERS
    default_balance = 1_000_000_000

    def _init_state(self) -> None:
        self._id_counter = itertools.count(secrets.randbelow(1 << 20))
        self._id_random = secrets.token_hex(5)
        self._delegator = derive_address("tronsave-sim:delegator")
        # Told of every delegation and its end (see `bot.sandbox.delegation_link`).
        self._delegation_listeners: list[DelegationListener] = []

    def now(self) -> float:
        return time.time() + self._settings.clock_offset

    # ---- identities -------------------------------------------------------------------

    def _object_id(self) -> str:
        # MongoDB ObjectId layout: 4-byte seconds, 5 random bytes, 3-byte counter.
        counter = next(self._id_counter) & 0xFFFFFF
        return f"{int(self.now()) & 0xFFFFFFFF:08x}{self._id_random}{counter:06x}"

    @property
    def represent_address(self) -> str:
        return derive_address(f"tronsave-sim:represent:{self._settings.api_key}")

    @property
    def deposit_address(self) -> str:
        if self._settings.deposit_address is not None:
            return self._settings.deposit_address
        return derive_address(f"tronsave-sim:deposit:{self._settings.api_key}")

    def _per_order_charge(self, amount: int, duration_sec: int) -> int:
        days = max(1, math.ceil(duration_sec / SECONDS_PER_DAY))
        return amount * self._settings.unit_price * days

    # ---- Python control API (thread-safe) ---------------------------------------------

    def order(self, order_id: str) -> dict[str, object] | None:
        with self._lock:
            self._tick_locked()
            found = self._orders.get(order_id)
            return found.as_history() if found else None

    def match(self, order_ids: Iterable[str] | None = None) -> list[str]:
        """Match the given (or all) Pending orders now; returns the ids matched."""
        return self._each(order_ids, waiting, self._match)

    def expire(self, order_ids: Iterable[str] | None = None) -> list[str]:
        """Expire the given (or all) Pending orders now, as if their deadline passed."""
        return self._each(
            order_ids, waiting, lambda order, now: self._refund_all(order, EXPIRED, now)
        )

    def end_rental(self, order_ids: Iterable[str] | None = None) -> list[str]:
        """End the rental of the given (or all) matched, unconfirmed orders now."""
        return self._each(
            order_ids, lambda order: order.is_matched and not order.finished, self._end_rental
        )

    def _each(
        self,
        order_ids: Iterable[str] | None,
        eligible: Callable[[FastChargeOrder], bool],
        act: Callable[[FastChargeOrder, float], None],
    ) -> list[str]:
        """Apply `act` now to the selected orders it suits; returns their ids."""
        with self._lock:
            self._tick_locked()
            now = self.now()
            done = []
            for order in self._select(order_ids):
                if eligible(order):
                    act(order, now)
                    done.append(order.id)
            return done

    def add_delegation_listener(self, listener: DelegationListener) -> None:
        """`listener(receiver, amount, delegated)` is called (under this simulator's lock)
        when an order's energy is delegated (True) and when the delegation ends on a
        confirm or at the rental's end (False). A failing listener is logged, never fatal."""
        with self._lock:
            self._delegation_listeners.append(listener)

    def set_status(self, order_id: str, status: str) -> dict[str, object]:
        """Force any status word (e.g. one the docs do not list); no other side effect."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise KeyError(f"no order {order_id}")
            order.status = status
            order.updated_at = self.now()
            return order.as_history()

    def place_foreign(
        self,
        *,
        receiver: str,
        amount: int,
        duration_sec: int,
        max_price_accept: float,
        deadline: int,
        age: float = 0.0,
    ) -> str:
        """An order placed on this key by something else (another bot, the website),
        created `age` seconds ago, charged like any create; returns its id."""
        with self._lock:
            self._tick_locked()
            now = self.now()
            order = self._new_order(
                receiver, amount, duration_sec, deadline, max_price_accept, at=now - age
            )
            self._balance -= order.charge_amount
            # Kept in creation order, as `_history` relies on for equal times.
            self._orders = dict(
                sorted({**self._orders, order.id: order}.items(), key=lambda i: i[1].created_at)
            )
            self._open[order.id] = order
            return order.id

    def load_orders(self, orders: Iterable[Mapping[str, object]]) -> list[str]:
        """Create Pending orders directly (benchmarks); the balance is not charged."""
        with self._lock:
            now = self.now()
            created: list[FastChargeOrder] = []
            for spec in orders:
                order_id = as_str(spec.get("order_id") or self._object_id())
                if order_id in self._orders or any(o.id == order_id for o in created):
                    raise ValueError(f"duplicate order id {order_id}")
                amount = as_int(spec.get("amount", 65_000))
                duration = as_int(spec.get("duration_sec", 3_600))
                created.append(
                    self._new_order(
                        as_str(spec.get("receiver") or self.represent_address),
                        amount,
                        duration,
                        as_int(spec.get("deadline", 300)),
                        self._settings.unit_price,
                        at=now,
                        order_id=order_id,
                        request_id=as_str(spec.get("request_id") or self._object_id()),
                    )
                )
            for order in created:
                self._orders[order.id] = self._open[order.id] = order
            return [order.id for order in created]

    def _new_order(
        self,
        receiver: str,
        amount: int,
        duration_sec: int,
        deadline: int,
        max_price_accept: float,
        *,
        at: float,
        order_id: str | None = None,
        request_id: str | None = None,
        request_index: int = 0,
    ) -> FastChargeOrder:
        """An order created `at`, charged at today's unit price (not yet stored)."""
        return FastChargeOrder(
            id=order_id or self._object_id(),
            request_id=request_id or self._object_id(),
            receiver=receiver,
            requester=self.represent_address,
            amount=amount,
            duration_sec=duration_sec,
            deadline=deadline,
            max_price_accept=max_price_accept,
            unit_price=self._settings.unit_price,
            charge_amount=self._per_order_charge(amount, duration_sec),
            created_at=at,
            updated_at=at,
            request_index=request_index,
        )

    def _select(self, order_ids: Iterable[str] | None) -> list[FastChargeOrder]:
        if order_ids is None:
            return list(self._open.values())
        return [self._orders[i] for i in order_ids if i in self._orders]

    # ---- lifecycle (lock held) ----------------------------------------------------------

    def _match(self, order: FastChargeOrder, at: float) -> None:
        order.status = self._settings.matched_status
        order.is_matched = True
        order.scan_times += 1
        order.delegate_at = at
        order.expire_delegate_at = at + order.duration_sec
        order.delegate_txid = new_txid()
        order.delegator = self._delegator
        order.delegate_amount_in_sun = order.amount * DELEGATE_SUN_PER_ENERGY
        order.resource_order_request_id = self._object_id()
        order.matched_resource_order_id = self._object_id()
        order.updated_at = at
        self._tell_delegation(order, delegated=True)

    def _tell_delegation(self, order: FastChargeOrder, *, delegated: bool) -> None:
        for listener in self._delegation_listeners:
            try:
                listener(order.receiver, order.amount, delegated)
            except Exception:
                log.exception("delegation listener failed for order %s", order.id)

    def _repay(self, order: FastChargeOrder, amount: int, by: str, at: float) -> None:
        order.repay_amount = amount
        order.repay_by = by
        order.repay_at = at
        order.repay_txid = self._object_id()
        order.updated_at = at
        order.finished = True
        self._open.pop(order.id, None)
        self._balance += amount

    def _refund_all(self, order: FastChargeOrder, status: str, at: float) -> None:
        order.status = status
        self._repay(order, order.charge_amount, status, at)

    def _end_rental(self, order: FastChargeOrder, at: float) -> None:
        order.status = COMPLETED
        order.updated_at = at
        order.finished = True
        self._open.pop(order.id, None)
        self._tell_delegation(order, delegated=False)

    def _tick_locked(self) -> None:
        now = self.now()
        auto = self._settings.auto_match_after
        if self._settings.supply <= 0:
            auto = None
        for order in list(self._open.values()):
            if order.status == PENDING and not order.is_matched:
                expire_at = order.created_at + order.deadline
                match_at = order.created_at + auto if auto is not None else math.inf
                if match_at <= now and match_at < expire_at:
                    self._match(order, match_at)
                elif expire_at <= now:
                    self._refund_all(order, EXPIRED, expire_at)
                    continue
            end_at = order.expire_delegate_at
            if order.is_matched and end_at is not None and end_at <= now:
                self._end_rental(order, end_at)

    # ---- base hooks -------------------------------------------------------------------

    def _order_json(self, order: FastChargeOrder) -> dict[str, object]:
        return order.as_history()

    # ---- outcomes of API calls (lock held) ----------------------------------------------

    def _confirm_one(self, order: FastChargeOrder, now: float) -> str | None:
        if not order.is_matched:
            return "Order is not matched yet"
        if order.repay_by == "Confirmed":
            return "Order already confirmed"
        if order.finished or order.expire_delegate_at is None:
            return "Order rental already ended"
        unused = min(1.0, max(0.0, (order.expire_delegate_at - now) / order.duration_sec))
        refund = int(order.charge_amount * unused * self._settings.confirm_refund_ratio)
        order.status = COMPLETED
        self._repay(order, refund, "Confirmed", now)
        self._tell_delegation(order, delegated=False)
        return None

    def _cancel_one(self, order: FastChargeOrder, now: float) -> str | None:
        if order.status != PENDING or order.is_matched or order.finished:
            return "Only Pending orders can be cancelled"
        self._refund_all(order, CANCELLED, now)
        return None

    def _listed(self, order: FastChargeOrder, now: float) -> bool:
        """Whether the lagging history shows the order yet."""
        lag = self._settings.history_delay + order.request_index * self._settings.history_stagger
        return order.created_at + lag <= now
