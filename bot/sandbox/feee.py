"""Feee.io open-API simulator: an HTTP server speaking the documented v2/v3 order API.

Run by hand::

    python -m bot.sandbox.feee --port 8082 --api-key test-key \
        [--qps 5] [--auto-deliver-after 5] [--balance 1000] [--ua-whitelist "My UA/1.0"]

Every path, the ``/_sim/`` control routes included, is served both under ``/open`` (the
real base is ``https://feee.io/open``) and at the root, so ``FEEE_BASE_URL`` may be
``http://127.0.0.1:PORT/open``. Headers ``key`` and
``User-Agent``. Every answer uses the envelope ``{code, msg, request_id, data}``:

* ``GET /v2/order/price`` (endpoint name ``price_v2``), ``GET /v3/order/price``
  (``price_v3``)
* ``POST /v2/order/submit`` (``submit_v2``), ``POST /v3/order/create`` (``create_v3``)
* ``GET /v2/order/query?order_no=`` (``query``)
* ``POST /v2/order/cancel`` ``{"order_no"}`` (``cancel``; the answer also has
  ``"pagination": null``)
* ``GET /v2/api/query`` (``api_query``)

Documented behaviour reproduced: durations ``d`` 1-30, ``h`` 1 or 3, ``m`` 10, or a
non-zero ``rent_time_second`` (>= 600, multiple of 3) overriding them; v3 is a fixed
5-minute rental; ``resource_type`` 1 only; BuyOrderDetail fields and the official status
enum (4 paid/awaiting delegation, 6 delegated, 7 failed, 9 reclaimed, 12 cancelled, 15
partially delegated; business_status 1 Pending, 2 Filled, 3 Finished, 4 Closed); split
parents (``is_split: 1``, ``sub_order[]``); cancel only more than 5 minutes after
creation and before delivery, refunding ``pay_amount``; codes 20002 (balance), 20005
(receiver not activated), 20009 (no resources), 20012/20013 (IP/User-Agent whitelist),
20014 (too many incomplete orders for the address); TRX amounts as JSON decimals.

Control API (no auth), besides the shared ``/_sim/`` routes of `BaseSimulator`:
``POST /_sim/orders/deliver`` / ``/_sim/orders/reclaim`` (``{"order_no"}``, omitted = all
eligible), ``POST /_sim/orders/split`` (``{"order_no", "parts": [values] | count}``),
``POST /_sim/orders/fail`` (``{"order_no"}``), ``POST /_sim/orders/set-status``
(``{"order_no", "status", "business_status"?}``), ``POST /_sim/orders/odd-fields``
(``{"order_no", "null": [fields], "missing": [fields]}``: answers about that order carry
those fields as null or leave them out, until called again with empty lists),
``POST /_sim/orders/lose-answer``
(``{"nth": 1, "mode": "error500"|"delay", "seconds"?}``: the nth create request from now
is carried out, then its answer is lost: a 500, or an answer only after ``seconds``, a
timeout for a client that waits less) and ``POST /_sim/price/after-orders``
(``{"orders": n, "price_v2"?, "price_v3"?}``: the prices change once n more orders are
created, e.g. between two receivers of one submission). ``GET /_sim/requests`` counts
``submit_v2``/``create_v3`` requests, so a test can tell that nothing was resent.

Invented where the docs are silent:

* Codes: 10001 bad parameter (message names it, also for malformed JSON), 10002 missing
  or wrong ``key``, 20004 order not found, 20015 cancel refused (message says why), 429
  rate limited. Business errors are sent with HTTP 200; rate limiting with HTTP 429,
  unknown routes with HTTP 404 and a simulated fault with HTTP 500, each in the envelope
  (``code`` = the HTTP status). ``msg`` is "success" ("ok" for cancel).
* Rate limit: ``qps`` accepted requests per key in any 1-second window, across endpoints;
  key and whitelist failures are not counted. Checks run key -> IP -> User-Agent -> limit.
* ``resource_value`` minimum 32,000 (``min_resource_value``; third-party figure); a
  missing ``rent_time_second`` means 0; ``rent_duration``/``rent_time_unit`` stay
  required even when overridden and are echoed as sent; ``rent_time_second`` in answers
  is the effective rental length in seconds. v3 answers show 5 / "m" / 300.
* Price: ``pay_amount`` = resource_value x price_in_sun x days / 1e6 + ``service_fee``
  (a fixed 0.56 TRX, the doc example's fee), days = rent_duration for ``d``, else
  ceil(seconds / 86400) with a minimum of 1. v3 uses ``price_v3`` and one day.
* Submit checks, in order: parameters, address format, not activated (20005), no
  resources (20009), 5 or more incomplete orders (status 1/3/4/5/11/13/15) for the address
  (20014), balance (20002). The balance is charged at once, so ``pay_time`` =
  ``create_time``; ``order_no`` = UTC yymmddHHMMSS + 10-digit counter (22 digits).
* ``is_lock`` is 1 and ``lock_period`` 28,800 for rentals of a day or more, else 200.
* Split: children get their own 22-digit ``order_no`` and a share of ``pay_amount``; a
  parent shows the children's common status when they all agree, otherwise 15 (or 9/7
  once every child is final); its ``frozen_tx_id`` is the first child's once all are
  delivered. Children can be queried but not cancelled.
* Fail (status 7, business 4) refunds ``pay_amount`` to the balance. Reclaim at rental
  end: status 9, business 3, no refund. Cancellable statuses: 1, 3, 4.
* ``/v2/api/query``: ``whitelist`` = ``{"ip": [...], "user_agent": [...]}``; "today"
  counters sum orders created since 00:00 UTC, net of refunds.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from bot.money import SUN_PER_TRX
from bot.sandbox import cli
from bot.sandbox.base import OrderBookSimulator
from bot.sandbox.feee_model import (
    BUSINESS_CLOSED,
    BUSINESS_FILLED,
    BUSINESS_FINISHED,
    BUSINESS_PENDING,
    CANCELLABLE,
    CANCELLED,
    CODE_AUTH,
    CODE_BALANCE,
    CODE_CANCEL_REFUSED,
    CODE_IP,
    CODE_NO_RESOURCES,
    CODE_NOT_ACTIVATED,
    CODE_NOT_FOUND,
    CODE_PARAM,
    CODE_TOO_MANY_ORDERS,
    CODE_USER_AGENT,
    COERCERS,
    DELEGATED,
    FAILED,
    FINAL,
    INCOMPLETE,
    LOST_ANSWER_MODES,
    PAID,
    PARTIAL,
    RECLAIMED,
    TRX_QUANTUM,
    V3_DURATION,
    Duration,
    FeeeOrder,
    FeeeSettings,
    LostAnswer,
    Reprice,
    envelope,
    int_param,
    json_body,
    parse_duration,
    refuse,
)
from bot.sandbox.server import ControlRoute, Request, Response, Route
from bot.sandbox.values import as_float, as_int, as_str, as_str_set, derive_address, new_txid
from bot.tron_address import is_valid_address


class FeeeSimulator(OrderBookSimulator[FeeeSettings, Decimal, FeeeOrder]):
    settings_type = FeeeSettings
    coercers = COERCERS
    default_balance = Decimal(1000)
    endpoints = ("price_v2", "price_v3", "submit_v2", "create_v3", "query", "cancel", "api_query")
    path_prefixes = ("", "/open")  # the real base URL is https://feee.io/open

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **settings: object) -> None:
        """`settings`: any `FeeeSettings` field, and `balance` (TRX)."""
        super().__init__(host=host, port=port, **settings)
        # Orders are the top-level ones; split children are reached through `_index`.
        self._index: dict[str, FeeeOrder] = {}  # top-level orders and split children
        self._numbers = itertools.count(secrets.randbelow(10**9))
        self._lost_answers: list[LostAnswer] = []
        self._reprices: list[Reprice] = []
        self._losing: LostAnswer | None = None  # set by `_place` for the current request
        self._register_routes()

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

    def _take_losing(self) -> LostAnswer | None:
        losing, self._losing = self._losing, None
        return losing

    def _run_route(self, route: Route, request: Request) -> tuple[Response, float]:
        self._losing = None
        response, delay = super()._run_route(route, request)
        losing = self._take_losing()
        if losing is None:
            return response, delay
        if losing.mode == "error500":
            return self._fault_response(route), 0.0
        return response, max(delay, losing.seconds)

    def _gate(self, request: Request, route: Route) -> Response | None:
        settings = self._settings
        key = request.headers.get("key", "")
        if not key:
            return Response(200, envelope(CODE_AUTH, "api key is required"))
        if key != settings.api_key:
            return Response(200, envelope(CODE_AUTH, "api key is invalid"))
        if settings.ip_whitelist is not None and request.client_ip not in settings.ip_whitelist:
            return Response(200, envelope(CODE_IP, "IP is not in the whitelist"))
        user_agent = request.headers.get("user-agent", "")
        if settings.ua_whitelist is not None and user_agent not in settings.ua_whitelist:
            return Response(200, envelope(CODE_USER_AGENT, "User-Agent is not in the whitelist"))
        if not self._limiter.admit(key, settings.qps, 1.0):
            return Response(429, envelope(429, "too many requests"))
        return None

    def _not_found(self, request: Request) -> Response:
        return Response(404, envelope(404, "not found"))

    def _fault_response(self, route: Route) -> Response:
        return Response(500, envelope(500, "internal server error"))

    def _api_routes(self) -> list[Route]:
        return [
            Route("GET", "/v2/order/price", "price_v2", self._price_v2),
            Route("GET", "/v3/order/price", "price_v3", self._price_v3),
            Route("POST", "/v2/order/submit", "submit_v2", self._submit_v2),
            Route("POST", "/v3/order/create", "create_v3", self._create_v3),
            Route("GET", "/v2/order/query", "query", self._query),
            Route("POST", "/v2/order/cancel", "cancel", self._cancel),
            Route("GET", "/v2/api/query", "api_query", self._api_query),
        ]

    def _extra_control_routes(self) -> list[ControlRoute]:
        def optional_no(body: Mapping[str, Any]) -> str | None:
            raw = body.get("order_no")
            return None if raw is None else as_str(raw)

        def split(body: Mapping[str, Any]) -> object:
            parts = body["parts"]
            sizes = as_int(parts) if not isinstance(parts, list) else [as_int(p) for p in parts]
            return self.split(as_str(body["order_no"]), sizes)

        def set_status(body: Mapping[str, Any]) -> object:
            business = body.get("business_status")
            return self.set_status(
                as_str(body["order_no"]),
                as_int(body["status"]),
                None if business is None else as_int(business),
            )

        def lose_answer(body: Mapping[str, Any]) -> object:
            self.lose_answer(
                as_int(body.get("nth", 1)),
                as_str(body.get("mode", "error500")),
                as_float(body.get("seconds", 0.0)),
            )
            return None

        def reprice(body: Mapping[str, Any]) -> object:
            v2, v3 = body.get("price_v2"), body.get("price_v3")
            self.reprice_after(
                as_int(body["orders"]),
                price_v2=None if v2 is None else as_int(v2),
                price_v3=None if v3 is None else as_int(v3),
            )
            return None

        return [
            ControlRoute(
                "POST",
                "/_sim/orders/deliver",
                lambda b: {"order_nos": self.deliver(optional_no(b))},
            ),
            ControlRoute(
                "POST",
                "/_sim/orders/reclaim",
                lambda b: {"order_nos": self.reclaim(optional_no(b))},
            ),
            ControlRoute(
                "POST",
                "/_sim/orders/fail",
                lambda b: {"order_nos": self.fail(as_str(b["order_no"]))},
            ),
            ControlRoute("POST", "/_sim/orders/split", split),
            ControlRoute("POST", "/_sim/orders/set-status", set_status),
            ControlRoute(
                "POST",
                "/_sim/orders/odd-fields",
                lambda b: self.set_odd_fields(
                    as_str(b["order_no"]),
                    null=sorted(as_str_set(b.get("null", []))),
                    missing=sorted(as_str_set(b.get("missing", []))),
                ),
            ),
            ControlRoute("POST", "/_sim/orders/lose-answer", lose_answer),
            ControlRoute("POST", "/_sim/price/after-orders", reprice),
        ]

    # ---- API handlers (lock held) -------------------------------------------------------

    def _resource_value(self, params: Mapping[str, object]) -> int:
        value = int_param(params, "resource_value")
        if value < self._settings.min_resource_value:
            raise refuse(
                CODE_PARAM, f"resource_value must be at least {self._settings.min_resource_value}"
            )
        return value

    def _pay_amount(self, value: int, price: int, duration: Duration) -> Decimal:
        energy_trx = Decimal(value * price * duration.days) / SUN_PER_TRX
        return energy_trx + self._settings.service_fee

    def _quote(self, value: int, price: int, duration: Duration) -> dict[str, object]:
        return {
            "resource_value": value,
            "pay_amount": self._pay_amount(value, price, duration),
            "service_amount": self._settings.service_fee,
            "rent_duration": duration.amount,
            "rent_time_unit": duration.unit,
            "rent_time_second": duration.seconds,
            "price_in_sun": price,
        }

    def _price_v2(self, request: Request) -> Response:
        value = self._resource_value(request.query)
        quote = self._quote(value, self._settings.price_v2, parse_duration(request.query))
        return Response(200, envelope(0, "success", quote))

    def _price_v3(self, request: Request) -> Response:
        value = self._resource_value(request.query)
        quote = self._quote(value, self._settings.price_v3, V3_DURATION)
        return Response(200, envelope(0, "success", quote))

    def _submit_v2(self, request: Request) -> Response:
        body = json_body(request)
        return self._place(body, self._settings.price_v2, parse_duration(body))

    def _create_v3(self, request: Request) -> Response:
        return self._place(json_body(request), self._settings.price_v3, V3_DURATION)

    def _place(self, body: Mapping[str, object], price: int, duration: Duration) -> Response:
        for rule in list(self._lost_answers):
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._lost_answers.remove(rule)
                self._losing = self._losing or rule  # applied by `_run_route`
        response = self._create(body, price, duration)
        for reprice in self._reprices:
            reprice.remaining -= 1
        self._apply_reprices()
        return response

    def _create(self, body: Mapping[str, object], price: int, duration: Duration) -> Response:
        if int_param(body, "resource_type", default=1) != 1:
            raise refuse(CODE_PARAM, "resource_type must be 1 (energy)")
        address = body.get("receive_address")
        if not isinstance(address, str) or not address:
            raise refuse(CODE_PARAM, "receive_address is required")
        value = self._resource_value(body)
        if not is_valid_address(address):
            raise refuse(CODE_PARAM, "receive_address is not a valid TRON address")
        settings = self._settings
        if address in settings.not_activated:
            raise refuse(CODE_NOT_ACTIVATED, "the receiving address is not activated")
        if settings.no_resources:
            raise refuse(CODE_NO_RESOURCES, "no resources available, please try again later")
        incomplete = sum(
            1
            for order in self._open.values()
            if order.receive_address == address and order.status in INCOMPLETE
        )
        if incomplete >= settings.max_incomplete_orders:
            raise refuse(
                CODE_TOO_MANY_ORDERS,
                "the address has too many incomplete orders, please wait for them to finish",
            )
        pay_amount = self._pay_amount(value, price, duration)
        if self._balance < pay_amount:
            raise refuse(CODE_BALANCE, "insufficient balance")
        self._balance -= pay_amount
        order = FeeeOrder(
            order_no=self._order_no(),
            receive_address=address,
            resource_value=value,
            price_in_sun=price,
            duration=duration,
            pay_amount=pay_amount,
            create_time=self.now(),
        )
        self._orders[order.order_no] = self._index[order.order_no] = order
        self._open[order.order_no] = order
        return Response(200, envelope(0, "success", order.detail()))

    def _query(self, request: Request) -> Response:
        order_no = request.query.get("order_no", "")
        if not order_no:
            raise refuse(CODE_PARAM, "order_no is required")
        order = self._index.get(order_no)
        if order is None:
            raise refuse(CODE_NOT_FOUND, "order not found")
        return Response(200, envelope(0, "success", order.detail()))

    def _cancel(self, request: Request) -> Response:
        order_no = json_body(request).get("order_no")
        if not isinstance(order_no, str) or not order_no:
            raise refuse(CODE_PARAM, "order_no is required")
        order = self._index.get(order_no)
        if order is None:
            raise refuse(CODE_NOT_FOUND, "order not found")
        now = self.now()
        if order.is_child:
            raise refuse(CODE_CANCEL_REFUSED, "sub-orders cannot be cancelled")
        if now - order.create_time <= self._settings.cancel_after:
            raise refuse(
                CODE_CANCEL_REFUSED, "only orders created more than 5 minutes ago can be cancelled"
            )
        if order.status not in CANCELLABLE:
            raise refuse(CODE_CANCEL_REFUSED, "the order status does not allow cancellation")
        order.status, order.business_status = CANCELLED, BUSINESS_CLOSED
        self._refund(order, now)
        self._settle()
        return Response(200, {**envelope(0, "ok", order.detail()), "pagination": None})

    def _api_query(self, request: Request) -> Response:
        settings = self._settings
        midnight = datetime.fromtimestamp(self.now(), UTC).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        today = [o for o in self._orders.values() if o.create_time >= midnight.timestamp()]
        data = {
            "trx_money": self._balance,
            "recharge_address": self.recharge_address,
            "today_energy_value": sum(o.resource_value for o in today if not o.refund_amount),
            "today_consume_trx_amount": sum(
                (o.pay_amount - o.refund_amount for o in today), Decimal(0)
            ),
            "whitelist": {
                "ip": settings.ip_whitelist or frozenset(),
                "user_agent": settings.ua_whitelist or frozenset(),
            },
            "qps": settings.qps,
        }
        return Response(200, envelope(0, "success", data))


def main(argv: Sequence[str] | None = None) -> None:
    cli.run(FeeeSimulator, "Feee.io open API simulator", 8082, argv)


if __name__ == "__main__":
    main()
