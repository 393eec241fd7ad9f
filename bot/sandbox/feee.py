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
  ``price_null_fields`` / ``price_missing_fields`` (settings, ``/_sim/config``) answer
  the named price fields as null / leave them out.
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

This module is the HTTP API; the state and lifecycle rules are in `bot.sandbox.feee_book`,
the settings, records and request parsing in `bot.sandbox.feee_model`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.sandbox import cli
from bot.sandbox.feee_book import FeeeBook
from bot.sandbox.feee_model import (
    BUSINESS_CLOSED,
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
    INCOMPLETE,
    V3_DURATION,
    Duration,
    FeeeOrder,
    LostAnswer,
    envelope,
    int_param,
    json_body,
    parse_duration,
    refuse,
)
from bot.sandbox.server import ControlRoute, Request, Response, Route
from bot.sandbox.values import as_float, as_int, as_str, as_str_set
from bot.tron_address import is_valid_address


class FeeeSimulator(FeeeBook):
    """The v2/v3 order API over `FeeeBook`."""

    endpoints = ("price_v2", "price_v3", "submit_v2", "create_v3", "query", "cancel", "api_query")
    path_prefixes = ("", "/open")  # the real base URL is https://feee.io/open

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

    def _quote(self, value: int, price: int, duration: Duration) -> dict[str, object]:
        quote: dict[str, object] = {
            "resource_value": value,
            "pay_amount": self._pay_amount(value, price, duration),
            "service_amount": self._settings.service_fee,
            "rent_duration": duration.amount,
            "rent_time_unit": duration.unit,
            "rent_time_second": duration.seconds,
            "price_in_sun": price,
        }
        quote |= dict.fromkeys(self._settings.price_null_fields & quote.keys())
        for name in self._settings.price_missing_fields:
            quote.pop(name, None)
        return quote

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
    simulator, args = cli.build(FeeeSimulator, "Feee.io open API simulator", 8082, argv)
    cli.serve(simulator, args.log_level)


if __name__ == "__main__":
    main()
