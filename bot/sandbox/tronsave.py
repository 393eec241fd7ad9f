"""TronSave Fast Charge simulator: an HTTP server speaking the documented v0 API.

Run by hand::

    python -m bot.sandbox.tronsave --port 8081 --api-key test-key \
        [--rate-interval 2] [--auto-match-after 5] [--unit-price 60] [--balance 1000000000]

API (header ``apikey``; bodies are bare objects, not enveloped, except user-info):

* ``POST /v0/fast-charge-estimate-order-request`` (endpoint name ``estimate``)
* ``POST /v0/fast-charge-order-request`` (``create``)
* ``POST /v0/fast-charge-order-tracking`` (``track``)
* ``POST /v0/fast-charge-order-confirmation`` (``confirm``)
* ``POST /v0/fast-charge-order-cancel`` (``cancel``)
* ``GET /v0/fast-charge-order-history`` (``history``)
* ``GET /v2/user-info`` (``user_info``, v2 envelope)

Documented behaviour reproduced: 401 ``TSAS:106 API_KEY_REQUIRED`` / ``TSAS:107
INVALID_API_KEY``; 400 Fastify ``FST_ERR_VALIDATION`` bodies naming the field; 404 Fastify
"Route X:/path not found"; 429 ``{"error": true, "message": "Rate limit reached"}`` at one
request per 2 s per endpoint; charge = amount x unit price (SUN), billed per started day;
one order per receiver sharing a request_id; only Pending orders can be cancelled (100 %
refund); confirm ends the rental and refunds part of the charge; history newest first
with ``from``/``to`` (ms), ``page`` (from 0), ``pageSize`` (default 10).

Control API (no auth), besides the shared ``/_sim/`` routes of `BaseSimulator`:
``POST /_sim/orders/match``, ``/_sim/orders/expire``, ``/_sim/orders/end-rental``
(``{"order_ids": [...]}``, omitted = every eligible order), ``POST /_sim/orders/set-status``
(``{"order_id", "status"}``), ``POST /_sim/orders/load`` (``{"orders": [...]}``),
``POST /_sim/orders/refuse-tracking`` (``{"order_ids": [...]}``: any track request naming
one of them is refused whole with 400 ``TSAS:408 INVALID_PARAMS Invalid orderId``; ``[]``
ends it) and ``POST /_sim/orders/null-status`` (``{"order_ids": [...]}``: tracked with
``"status": null``). Both replace the settings ``track_refuse_ids`` /
``track_null_status_ids``, also reachable through ``/_sim/config``.

Invented where the docs are silent:

* The limit counts accepted requests per (API key, endpoint); 401s are not counted, while
  requests later refused by validation or a fault are. ``user_info`` follows the v2 limit
  of 15 requests per second instead of the Fast Charge 1 per 2 s.
* Required fields: estimate ``receiver_count``, ``amount``, ``duration_sec``; create all
  five. Numbers must be >= 1 (``max_price_accept`` >= 0); ``receiver_count`` must be an
  integer; a fractional ``amount``/``duration_sec``/``deadline`` gives ``TSAS:408
  INVALID_PARAMS Invalid <field>``. ``receiver_count`` is a String in the docs' table, so
  numeric strings are accepted for every number (as Fastify's ``coerceTypes`` does; other
  coercions such as true -> 1 are refused). Unknown fields
  are ignored (Fastify ``removeAdditional``). Malformed JSON gives Fastify's
  ``FST_ERR_CTP_INVALID_JSON_BODY`` 400.
* Business error numbers: ``TSAS:403 INTERNAL_BALANCE_ACCOUNT_TOO_LOW``, ``TSAS:405
  PRICE_EXCEED_MAX_PRICE_REQUIRED``, ``TSAS:408 INVALID_PARAMS Invalid receiver`` (one bad
  address fails the whole request), ``TSAS:408 INVALID_PARAMS Invalid from|to`` for a
  non-numeric history bound. Create checks addresses, then price, then balance. The
  price check refuses only when unit price > ``max_price_accept`` (equal is accepted).
* Estimate never fails on a low balance unless ``estimate_checks_balance`` is set;
  ``able_to_match`` = receiver_count <= supply and price <= max_price_accept (if given).
* ``supply`` is static (not consumed by orders); ``supply = 0`` pauses auto-matching.
* Status words: ``Pending`` -> ``matched_status`` (``Matched`` by default, ``Completed``
  selectable) -> ``Completed`` after confirm or rental end. A Pending order past its
  ``deadline`` becomes ``Expired`` (100 % refund, ``repay_by: "Expired"``); a cancelled
  one ``Cancelled`` (``repay_by: "Cancelled"``). Rental end without confirm refunds 0.
* Confirm refund = floor(charge x unused fraction of the rental x ``confirm_refund_ratio``
  (0.5)). Confirm fails (``is_success: false``) with ``Order not found``, ``Order is not
  matched yet``, ``Order already confirmed`` or ``Order rental already ended``; cancel
  with ``Order not found`` or ``Only Pending orders can be cancelled``.
* Track omits unknown ids; malformed ids are just unknown. No limit on ids per call.
* ``expire_delegate_at`` = delegation time + ``duration_sec``; ``delegate_amount_in_sun``
  = amount x 13,554 (the doc example's ratio); ``delegator`` is a fixed valid address.
  History fields not yet known (``delegate_at``, ``repay_at``, ...) are present as null.
* History ``pageSize`` has no maximum unless ``history_max_page_size`` caps it (pages are
  then counted in the size served); ``from``/``to`` are inclusive.
* Faults a lost create needs: ``error500``/``delay`` on ``create`` make the orders and lose
  the answer. ``clock_offset`` sets the simulator's clock (timestamps, ids, the ``Date``
  header) ahead of or behind the real one; ``history_delay``/``history_stagger`` make the
  history lag and show one request's orders one by one; ``POST /_sim/orders/foreign``
  (``{"receiver", "amount", "duration_sec", "max_price_accept", "deadline", "age"}``)
  places an order on the key as something else would, ``age`` seconds ago.
* Loaded orders (benchmark) are not charged to the balance.
"""

from __future__ import annotations

import itertools
import math
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from bot.sandbox import cli
from bot.sandbox.base import OrderBookSimulator
from bot.sandbox.server import ControlRoute, Request, Response, Route
from bot.sandbox.tronsave_model import (
    CANCELLED,
    COERCERS,
    COMPLETED,
    CREATE_BODY,
    DELEGATE_SUN_PER_ENERGY,
    ESTIMATE_BODY,
    EXPIRED,
    HISTORY_QUERY,
    INVALID_ORDER_ID,
    INVALID_RECEIVER,
    ORDER_IDS_BODY,
    PENDING,
    PRICE_TOO_HIGH,
    SECONDS_PER_DAY,
    TOO_LOW,
    FastChargeOrder,
    TronSaveSettings,
    as_number,
    business_400,
    json_body,
    require_whole,
    validate,
    waiting,
)
from bot.sandbox.values import (
    as_float,
    as_int,
    as_str,
    body_object,
    derive_address,
    new_txid,
    stable_hex,
)
from bot.tron_address import is_valid_address

# --------------------------------------------------------------------------------------


class TronSaveSimulator(OrderBookSimulator[TronSaveSettings, int, FastChargeOrder]):
    settings_type = TronSaveSettings
    coercers = COERCERS
    default_balance = 1_000_000_000
    endpoints = ("estimate", "create", "track", "confirm", "cancel", "history", "user_info")

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **settings: object) -> None:
        """`settings`: any `TronSaveSettings` field, and `balance` (SUN)."""
        super().__init__(host=host, port=port, **settings)
        self._id_counter = itertools.count(secrets.randbelow(1 << 20))
        self._id_random = secrets.token_hex(5)
        self._delegator = derive_address("tronsave-sim:delegator")
        self._register_routes()

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

    def _gate(self, request: Request, route: Route) -> Response | None:
        v2 = route.endpoint == "user_info"
        key = request.headers.get("apikey", "")
        if not key:
            return self._error(401, "TSAS:106 API_KEY_REQUIRED", v2)
        if key != self._settings.api_key:
            return self._error(401, "TSAS:107 INVALID_API_KEY", v2)
        if v2:
            limit, window = self._settings.user_info_rps, 1.0
        else:
            limit, window = 1, self._settings.rate_interval
        if not self._limiter.admit(f"{key}:{route.endpoint}", limit, window):
            return self._error(429, "Rate limit reached", v2)
        return None

    @staticmethod
    def _error(status: int, message: str, v2: bool) -> Response:
        body: dict[str, object] = {"error": True, "message": message}
        if v2:
            body["data"] = None  # the v2 envelope always carries data
        return Response(status, body)

    def _not_found(self, request: Request) -> Response:
        return Response(
            404,
            {
                "message": f"Route {request.method}:{request.target} not found",
                "error": "Not Found",
                "statusCode": 404,
            },
        )

    def _fault_response(self, route: Route) -> Response:
        return Response(
            500,
            {"statusCode": 500, "error": "Internal Server Error", "message": "Simulated fault"},
        )

    def _api_routes(self) -> list[Route]:
        return [
            Route("POST", "/v0/fast-charge-estimate-order-request", "estimate", self._estimate),
            Route("POST", "/v0/fast-charge-order-request", "create", self._create),
            Route("POST", "/v0/fast-charge-order-tracking", "track", self._track),
            Route("POST", "/v0/fast-charge-order-confirmation", "confirm", self._confirm),
            Route("POST", "/v0/fast-charge-order-cancel", "cancel", self._cancel),
            Route("GET", "/v0/fast-charge-order-history", "history", self._history),
            Route("GET", "/v2/user-info", "user_info", self._user_info),
        ]

    def _extra_control_routes(self) -> list[ControlRoute]:
        def ids(body: Mapping[str, Any]) -> list[str] | None:
            raw = body.get("order_ids")
            return None if raw is None else [as_str(item) for item in raw]

        def foreign(body: Mapping[str, Any]) -> object:
            order_id = self.place_foreign(
                receiver=as_str(body["receiver"]),
                amount=as_int(body["amount"]),
                duration_sec=as_int(body["duration_sec"]),
                max_price_accept=as_float(body["max_price_accept"]),
                deadline=as_int(body.get("deadline", 300)),
                age=as_float(body.get("age", 0.0)),
            )
            return {"order_id": order_id}

        def load(body: Mapping[str, Any]) -> object:
            orders = [body_object(item) for item in body["orders"]]
            loaded = self.load_orders(orders)
            return {"loaded": len(loaded), "order_ids": loaded}

        return [
            ControlRoute(
                "POST", "/_sim/orders/match", lambda b: {"order_ids": self.match(ids(b))}
            ),
            ControlRoute(
                "POST", "/_sim/orders/expire", lambda b: {"order_ids": self.expire(ids(b))}
            ),
            ControlRoute(
                "POST",
                "/_sim/orders/end-rental",
                lambda b: {"order_ids": self.end_rental(ids(b))},
            ),
            ControlRoute(
                "POST",
                "/_sim/orders/set-status",
                lambda b: self.set_status(as_str(b["order_id"]), as_str(b["status"])),
            ),
            ControlRoute("POST", "/_sim/orders/load", load),
            ControlRoute(
                "POST",
                "/_sim/orders/refuse-tracking",
                lambda b: self.configure(track_refuse_ids=b.get("order_ids", [])),
            ),
            ControlRoute(
                "POST",
                "/_sim/orders/null-status",
                lambda b: self.configure(track_null_status_ids=b.get("order_ids", [])),
            ),
            ControlRoute("POST", "/_sim/orders/foreign", foreign),
        ]

    # ---- API handlers (lock held) -------------------------------------------------------

    def _estimate(self, request: Request) -> Response:
        body = validate(
            "body", json_body(request), ("receiver_count", "amount", "duration_sec"), ESTIMATE_BODY
        )
        require_whole(body)
        count: int = body["receiver_count"]
        duration: int = body["duration_sec"]
        charge = self._per_order_charge(body["amount"], duration) * count
        if self._settings.estimate_checks_balance and self._balance < charge:
            raise business_400(TOO_LOW)
        max_price = body.get("max_price_accept")
        price = self._settings.unit_price
        able = count <= self._settings.supply and (max_price is None or price <= max_price)
        return Response(
            200,
            {
                "charge_amount": charge,
                "price": price,
                "max_receiver_can_provide": self._settings.supply,
                "internal_balance": str(self._balance),
                "able_to_match": able,
                "duration_sec": duration,
            },
        )

    def _create(self, request: Request) -> Response:
        required = ("amount", "duration_sec", "max_price_accept", "receivers", "deadline")
        body = validate("body", json_body(request), required, CREATE_BODY)
        require_whole(body)
        receivers: list[str] = body["receivers"]
        if not all(is_valid_address(receiver) for receiver in receivers):
            raise business_400(INVALID_RECEIVER)
        if self._settings.unit_price > body["max_price_accept"]:
            raise business_400(PRICE_TOO_HIGH)
        per_order = self._per_order_charge(body["amount"], body["duration_sec"])
        if self._balance < per_order * len(receivers):
            raise business_400(TOO_LOW)
        self._balance -= per_order * len(receivers)
        now = self.now()
        request_id = self._object_id()
        order_ids = []
        for index, receiver in enumerate(receivers):
            order = self._new_order(
                receiver,
                body["amount"],
                body["duration_sec"],
                body["deadline"],
                body["max_price_accept"],
                at=now,
                request_id=request_id,
                request_index=index,
            )
            self._orders[order.id] = self._open[order.id] = order
            order_ids.append(order.id)
        return Response(200, {"order_ids": order_ids})

    def _order_ids(self, request: Request) -> list[str]:
        ids: list[str] = validate("body", json_body(request), ("order_ids",), ORDER_IDS_BODY)[
            "order_ids"
        ]
        return ids

    def _track(self, request: Request) -> Response:
        order_ids = self._order_ids(request)
        if self._settings.track_refuse_ids.intersection(order_ids):
            raise business_400(INVALID_ORDER_ID)
        null_status = self._settings.track_null_status_ids
        results = [
            {
                "order_id": order_id,
                "status": None if order_id in null_status else self._orders[order_id].status,
            }
            for order_id in order_ids
            if order_id in self._orders
        ]
        return Response(200, {"results": results})

    def _confirm(self, request: Request) -> Response:
        return Response(200, {"confirmation_results": self._each_id(request, self._confirm_one)})

    def _cancel(self, request: Request) -> Response:
        return Response(200, {"cancel_results": self._each_id(request, self._cancel_one)})

    def _each_id(
        self, request: Request, act: Callable[[FastChargeOrder, float], str | None]
    ) -> list[dict[str, object]]:
        """`act` on each order named in the body; it returns why it failed, or None."""
        now = self.now()
        results: list[dict[str, object]] = []
        for order_id in self._order_ids(request):
            order = self._orders.get(order_id)
            reason = "Order not found" if order is None else act(order, now)
            results.append(
                {"order_id": order_id, "is_success": reason is None, "fail_reason": reason}
            )
        return results

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
        return None

    def _cancel_one(self, order: FastChargeOrder, now: float) -> str | None:
        if order.status != PENDING or order.is_matched or order.finished:
            return "Only Pending orders can be cancelled"
        self._refund_all(order, CANCELLED, now)
        return None

    def _history(self, request: Request) -> Response:
        query = validate("querystring", request.query, (), HISTORY_QUERY)
        bounds: dict[str, float] = {}
        for name in ("from", "to"):
            if query.get(name, "") != "":
                number = as_number(query[name], integer=False)
                if number is None:
                    raise business_400(f"TSAS:408 INVALID_PARAMS Invalid {name}")
                bounds[name] = number
        lowest, highest = bounds.get("from", -math.inf), bounds.get("to", math.inf)
        page: int = query.get("page", 0)
        size: int = query.get("pageSize", 10)
        cap = self._settings.history_max_page_size
        if cap is not None:
            size = min(size, cap)  # pages are then counted in the size served
        now = self.now()
        matching = [
            order
            for order in reversed(self._orders.values())
            if lowest <= order.created_at * 1000 <= highest and self._listed(order, now)
        ]
        # Insertion order is creation order; the stable sort keeps it for equal times.
        matching.sort(key=lambda order: order.created_at, reverse=True)
        window = matching[page * size : (page + 1) * size]
        return Response(
            200, {"total": len(matching), "results": [order.as_history() for order in window]}
        )

    def _listed(self, order: FastChargeOrder, now: float) -> bool:
        """Whether the lagging history shows the order yet."""
        lag = self._settings.history_delay + order.request_index * self._settings.history_stagger
        return order.created_at + lag <= now

    def _user_info(self, request: Request) -> Response:
        return Response(
            200,
            {
                "error": False,
                "message": "Success",
                "data": {
                    "id": stable_hex(f"tronsave-sim:account:{self._settings.api_key}", 24),
                    "balance": str(self._balance),
                    "representAddress": self.represent_address,
                    "depositAddress": self.deposit_address,
                },
            },
        )


def main(argv: Sequence[str] | None = None) -> None:
    cli.run(TronSaveSimulator, "TronSave Fast Charge simulator", 8081, argv)


if __name__ == "__main__":
    main()
