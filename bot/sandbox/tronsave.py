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

The control API (``/_sim/orders/...``) is in `bot.sandbox.tronsave_control`.

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
  ``estimate_null_fields`` / ``estimate_missing_fields`` (settings, ``/_sim/config``)
  answer the named estimate fields as null / leave them out.
* ``supply`` is static (not consumed by orders); ``supply = 0`` pauses auto-matching.
* Status words: ``Pending`` -> ``matched_status`` (``Matched`` by default, ``Completed``
  selectable) -> ``Completed`` after confirm or rental end. A Pending order past its
  ``deadline`` becomes ``Expired`` (100 % refund, ``repay_by: "Expired"``); a cancelled
  one ``Cancelled`` (``repay_by: "Cancelled"``). Rental end without confirm refunds 0.
* Confirm refund = floor(charge x unused fraction of the rental x ``confirm_refund_ratio``
  (0.5)). Confirm fails (``is_success: false``) with ``Order not found``, ``Order is not
  matched yet``, ``Order already confirmed`` or ``Order rental already ended``; cancel
  with ``Order not found`` or ``Only Pending orders can be cancelled``.
* Track omits unknown ids; malformed ids are just unknown. No limit on ids per call
  unless ``track_max_ids`` sets one (the docs give none).
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

This module is the HTTP API; the state and lifecycle rules are in `bot.sandbox.tronsave_book`,
the settings, records and request parsing in `bot.sandbox.tronsave_model`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from bot.sandbox import cli
from bot.sandbox.server import ControlRoute, Request, Response, Route
from bot.sandbox.tronsave_book import TronSaveBook
from bot.sandbox.tronsave_control import control_routes
from bot.sandbox.tronsave_model import (
    CREATE_BODY,
    ESTIMATE_BODY,
    HISTORY_QUERY,
    INVALID_ORDER_ID,
    INVALID_RECEIVER,
    ORDER_IDS_BODY,
    PRICE_TOO_HIGH,
    TOO_LOW,
    FastChargeOrder,
    as_number,
    business_400,
    json_body,
    require_whole,
    validate,
)
from bot.sandbox.values import stable_hex
from bot.tron_address import is_valid_address

# --------------------------------------------------------------------------------------


class TronSaveSimulator(TronSaveBook):
    """The v0 Fast Charge API and the v2 user-info over `TronSaveBook`."""

    endpoints = ("estimate", "create", "track", "confirm", "cancel", "history", "user_info")
    _late = 0.0  # seconds the answer being made waits (lock held while it is set)

    # ---- base hooks -------------------------------------------------------------------

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
        return control_routes(self)

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
        answer: dict[str, object] = {
            "charge_amount": charge,
            "price": price,
            "max_receiver_can_provide": self._settings.supply,
            "internal_balance": str(self._balance),
            "able_to_match": able,
            "duration_sec": duration,
        }
        answer |= dict.fromkeys(self._settings.estimate_null_fields & answer.keys())
        for name in self._settings.estimate_missing_fields:
            answer.pop(name, None)
        return Response(200, answer)

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
        limit = self._settings.track_max_ids
        if limit is not None and len(order_ids) > limit:
            refusal = self._too_many(limit)
            if refusal is not None:
                return refusal
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

    def _too_many(self, limit: int) -> Response | None:
        """A tracking request over `track_max_ids`, refused as `track_too_many` says
        (None for "slow": it is answered, late)."""
        mode = self._settings.track_too_many
        if mode == "slow":
            self._late = self._settings.track_slow_seconds
            return None
        if mode == "400":
            message = f"body/order_ids must NOT have more than {limit} items"
            return Response(
                400,
                {
                    "statusCode": 400,
                    "code": "FST_ERR_VALIDATION",
                    "error": "Bad Request",
                    "message": message,
                },
            )
        return Response(
            413,
            {
                "statusCode": 413,
                "code": "FST_ERR_CTP_BODY_TOO_LARGE",
                "error": "Payload Too Large",
                "message": "Request body is too large",
            },
        )

    def _run_route(self, route: Route, request: Request) -> tuple[Response, float]:
        self._late = 0.0
        response, delay = super()._run_route(route, request)
        return response, max(delay, self._late)

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
    simulator, args = cli.build(TronSaveSimulator, "TronSave Fast Charge simulator", 8081, argv)
    cli.serve(simulator, args.log_level)


if __name__ == "__main__":
    main()
