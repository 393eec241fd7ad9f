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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from bot.sandbox.base import (
    ApiError,
    Coercer,
    ControlRoute,
    OrderBookSimulator,
    Request,
    Response,
    Route,
    as_bool,
    as_float,
    as_int,
    as_optional_float,
    as_str,
    as_str_set,
    body_object,
    cli_parser,
    derive_address,
    new_txid,
    serve,
    stable_hex,
)
from bot.tron_address import is_valid_address

PENDING = "Pending"
COMPLETED = "Completed"
EXPIRED = "Expired"
CANCELLED = "Cancelled"

SECONDS_PER_DAY = 86_400
DELEGATE_SUN_PER_ENERGY = 13_554  # 881,000,000 SUN for 65,000 energy in the doc example

TOO_LOW = "TSAS:403 INTERNAL_BALANCE_ACCOUNT_TOO_LOW"
PRICE_TOO_HIGH = "TSAS:405 PRICE_EXCEED_MAX_PRICE_REQUIRED"
INVALID_RECEIVER = "TSAS:408 INVALID_PARAMS Invalid receiver"
INVALID_ORDER_ID = "TSAS:408 INVALID_PARAMS Invalid orderId"


def _waiting(order: FastChargeOrder) -> bool:
    return order.status == PENDING and not order.is_matched


@dataclass(frozen=True)
class TronSaveSettings:
    api_key: str = "test-key"
    rate_interval: float = 2.0  # seconds per accepted request, per endpoint and key
    user_info_rps: int = 15
    unit_price: int = 60  # SUN per energy unit per (started) day
    supply: int = 100  # max_receiver_can_provide
    auto_match_after: float | None = None  # seconds after creation; None = manual only
    matched_status: str = "Matched"
    confirm_refund_ratio: float = 0.5
    estimate_checks_balance: bool = False
    # Faults by order id: a track request naming one of `track_refuse_ids` is refused
    # whole with 400 `TSAS:408 INVALID_PARAMS Invalid orderId` (the docs' example text);
    # orders in `track_null_status_ids` are tracked with `"status": null`.
    track_refuse_ids: frozenset[str] = frozenset()
    track_null_status_ids: frozenset[str] = frozenset()
    # Seconds the simulator's clock (timestamps, ids, the Date header) runs ahead of ours.
    clock_offset: float = 0.0
    # A history that lags: an order shows up `history_delay` s after its creation, the
    # n-th order of one request `n * history_stagger` s later still (one by one).
    history_delay: float = 0.0
    history_stagger: float = 0.0
    # The largest history page served, whatever pageSize asks (None: no limit).
    history_max_page_size: int | None = None


def _as_optional_int(value: object) -> int | None:
    return None if value is None else as_int(value)


_COERCERS: dict[str, Coercer] = {
    "api_key": as_str,
    "rate_interval": as_float,
    "user_info_rps": as_int,
    "unit_price": as_int,
    "supply": as_int,
    "auto_match_after": as_optional_float,
    "matched_status": as_str,
    "confirm_refund_ratio": as_float,
    "estimate_checks_balance": as_bool,
    "track_refuse_ids": as_str_set,
    "track_null_status_ids": as_str_set,
    "balance": as_int,
    "clock_offset": as_float,
    "history_delay": as_float,
    "history_stagger": as_float,
    "history_max_page_size": _as_optional_int,
}


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FastChargeOrder:
    id: str
    request_id: str
    receiver: str
    requester: str
    amount: int
    duration_sec: int
    deadline: int
    max_price_accept: float
    unit_price: int
    charge_amount: int
    created_at: float
    updated_at: float
    status: str = PENDING
    is_matched: bool = False
    finished: bool = False  # refunded or rental over: no lifecycle rule applies any more
    scan_times: int = 0
    delegate_at: float | None = None
    expire_delegate_at: float | None = None
    delegate_txid: str | None = None
    delegator: str | None = None
    delegate_amount_in_sun: int | None = None
    matched_resource_order_id: str | None = None
    resource_order_request_id: str | None = None
    repay_amount: int = 0
    repay_at: float | None = None
    repay_by: str | None = None
    repay_txid: str | None = None
    request_index: int = 0  # position among the orders of its create request

    _TIMESTAMPS = ("created_at", "updated_at", "delegate_at", "expire_delegate_at", "repay_at")

    def shift(self, seconds: float) -> None:
        for name in self._TIMESTAMPS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value - seconds)

    def as_history(self) -> dict[str, object]:
        return {
            "_id": self.id,
            "receiver": self.receiver,
            "resource_type": "ENERGY",
            "amount": self.amount,
            "options": {"deadline": self.deadline, "max_price_accept": self.max_price_accept},
            "charge_amount": self.charge_amount,
            "status": self.status,
            "pay_txid": f"internal_fast_charge_{self.request_id}",
            "request_id": self.request_id,
            "requester": self.requester,
            "unit_price": self.unit_price,
            "is_matched": self.is_matched,
            "charge_duration_sec": self.duration_sec,
            "scan_times": self.scan_times,
            "created_at": _iso(self.created_at),
            "update_at": _iso(self.updated_at),
            "delegate_amount_in_sun": self.delegate_amount_in_sun,
            "delegate_at": _iso(self.delegate_at),
            "delegate_txid": self.delegate_txid,
            "delegator": self.delegator,
            "expire_delegate_at": _iso(self.expire_delegate_at),
            "matched_resource_order_id": self.matched_resource_order_id,
            "paid_amount_actual": self.charge_amount - self.repay_amount,
            "repay_amount": self.repay_amount,
            "repay_at": _iso(self.repay_at),
            "repay_by": self.repay_by,
            "repay_txid": self.repay_txid,
            "resource_order_request_id": self.resource_order_request_id,
        }


# --------------------------------------------------------------------------------------
# Fastify-style validation (Ajv with coerceTypes, first error only)

_Kind = Literal["number", "integer", "string", "string_array"]


@dataclass(frozen=True)
class _Field:
    name: str
    kind: _Kind
    minimum: float | None = None
    allowed: tuple[str, ...] = ()


def _fastify_400(message: str) -> ApiError:
    return ApiError(
        Response(
            400,
            {
                "statusCode": 400,
                "code": "FST_ERR_VALIDATION",
                "error": "Bad Request",
                "message": message,
            },
        )
    )


def _as_number(raw: object, integer: bool) -> float | int | None:
    if isinstance(raw, bool):
        return None
    value: float | int
    if isinstance(raw, int | float):
        value = raw
    elif isinstance(raw, str):
        try:
            value = float(raw)
        except ValueError:
            return None
    else:
        return None
    if not math.isfinite(value):
        return None
    if integer:
        return int(value) if float(value).is_integer() else None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _check(path: str, raw: object, spec: _Field) -> object:
    if spec.kind in ("number", "integer"):
        number = _as_number(raw, spec.kind == "integer")
        if number is None:
            raise _fastify_400(f"{path} must be {spec.kind}")
        if spec.minimum is not None and number < spec.minimum:
            raise _fastify_400(f"{path} must be >= {spec.minimum:g}")
        return number
    if spec.kind == "string":
        if not isinstance(raw, str):
            raise _fastify_400(f"{path} must be string")
        if spec.allowed and raw not in spec.allowed:
            raise _fastify_400(f"{path} must be equal to one of the allowed values")
        return raw
    if not isinstance(raw, list):
        raise _fastify_400(f"{path} must be array")
    if spec.minimum is not None and len(raw) < spec.minimum:
        raise _fastify_400(f"{path} must NOT have fewer than {spec.minimum:g} items")
    for index, item in enumerate(raw):
        if not isinstance(item, str):
            raise _fastify_400(f"{path}/{index} must be string")
    return list(raw)


def _validate(
    where: str, value: object, required: Sequence[str], specs: Sequence[_Field]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fastify_400(f"{where} must be object")
    for name in required:
        if name not in value:
            raise _fastify_400(f"{where} must have required property '{name}'")
    return {
        spec.name: _check(f"{where}/{spec.name}", value[spec.name], spec)
        for spec in specs
        if spec.name in value
    }


def _json_body(request: Request) -> object:
    try:
        return request.json()
    except ValueError as exc:
        raise ApiError(
            Response(
                400,
                {
                    "statusCode": 400,
                    "code": "FST_ERR_CTP_INVALID_JSON_BODY",
                    "error": "Bad Request",
                    "message": "Body is not valid JSON but content-type is set to "
                    "'application/json'",
                },
            )
        ) from exc


_ORDER_IDS = (_Field("order_ids", "string_array"),)
_ESTIMATE = (
    _Field("receiver_count", "integer", 1),
    _Field("amount", "number", 1),
    _Field("max_price_accept", "number", 0),
    _Field("resource_type", "string", allowed=("ENERGY",)),
    _Field("duration_sec", "number", 1),
)
_CREATE = (
    _Field("amount", "number", 1),
    _Field("duration_sec", "number", 1),
    _Field("max_price_accept", "number", 0),
    _Field("receivers", "string_array", 1),
    _Field("deadline", "number", 1),
)
_WHOLE = ("amount", "duration_sec", "deadline")
_HISTORY = (
    _Field("from", "string"),
    _Field("to", "string"),
    _Field("page", "integer", 0),
    _Field("pageSize", "integer", 1),
)


def _business_400(message: str) -> ApiError:
    return ApiError(Response(400, {"error": True, "message": message}))


def _require_whole(body: Mapping[str, object]) -> None:
    """Energy amounts and seconds are Numbers in the docs, but only whole ones make sense."""
    for name in _WHOLE:
        if isinstance(body.get(name), float):  # integral values were already made ints
            raise _business_400(f"TSAS:408 INVALID_PARAMS Invalid {name}")


# --------------------------------------------------------------------------------------


class TronSaveSimulator(OrderBookSimulator[TronSaveSettings, int, FastChargeOrder]):
    coercers = _COERCERS
    endpoints = ("estimate", "create", "track", "confirm", "cancel", "history", "user_info")

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        rate_interval: float = 2.0,
        unit_price: int = 60,
        supply: int = 100,
        balance: int = 1_000_000_000,
        auto_match_after: float | None = None,
        matched_status: str = "Matched",
        confirm_refund_ratio: float = 0.5,
        estimate_checks_balance: bool = False,
        user_info_rps: int = 15,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        settings = TronSaveSettings(
            api_key=api_key,
            rate_interval=rate_interval,
            user_info_rps=user_info_rps,
            unit_price=unit_price,
            supply=supply,
            auto_match_after=auto_match_after,
            matched_status=matched_status,
            confirm_refund_ratio=confirm_refund_ratio,
            estimate_checks_balance=estimate_checks_balance,
        )
        super().__init__(settings, balance, host=host, port=port)
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

    def balance(self) -> int:
        with self._lock:
            return self._balance

    def order(self, order_id: str) -> dict[str, object] | None:
        with self._lock:
            self._tick_locked()
            found = self._orders.get(order_id)
            return found.as_history() if found else None

    def match(self, order_ids: Iterable[str] | None = None) -> list[str]:
        """Match the given (or all) Pending orders now; returns the ids matched."""
        return self._each(order_ids, _waiting, self._match)

    def expire(self, order_ids: Iterable[str] | None = None) -> list[str]:
        """Expire the given (or all) Pending orders now, as if their deadline passed."""
        return self._each(
            order_ids, _waiting, lambda order, now: self._refund_all(order, EXPIRED, now)
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
            charge = self._per_order_charge(amount, duration_sec)
            self._balance -= charge
            order = FastChargeOrder(
                id=self._object_id(),
                request_id=self._object_id(),
                receiver=receiver,
                requester=self.represent_address,
                amount=amount,
                duration_sec=duration_sec,
                deadline=deadline,
                max_price_accept=max_price_accept,
                unit_price=self._settings.unit_price,
                charge_amount=charge,
                created_at=now - age,
                updated_at=now - age,
            )
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
                    FastChargeOrder(
                        id=order_id,
                        request_id=as_str(spec.get("request_id") or self._object_id()),
                        receiver=as_str(spec.get("receiver") or self.represent_address),
                        requester=self.represent_address,
                        amount=amount,
                        duration_sec=duration,
                        deadline=as_int(spec.get("deadline", 300)),
                        max_price_accept=self._settings.unit_price,
                        unit_price=self._settings.unit_price,
                        charge_amount=self._per_order_charge(amount, duration),
                        created_at=now,
                        updated_at=now,
                    )
                )
            for order in created:
                self._orders[order.id] = self._open[order.id] = order
            return [order.id for order in created]

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
        body = _validate(
            "body", _json_body(request), ("receiver_count", "amount", "duration_sec"), _ESTIMATE
        )
        _require_whole(body)
        count: int = body["receiver_count"]
        duration: int = body["duration_sec"]
        charge = self._per_order_charge(body["amount"], duration) * count
        if self._settings.estimate_checks_balance and self._balance < charge:
            raise _business_400(TOO_LOW)
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
        body = _validate("body", _json_body(request), required, _CREATE)
        _require_whole(body)
        receivers: list[str] = body["receivers"]
        if not all(is_valid_address(receiver) for receiver in receivers):
            raise _business_400(INVALID_RECEIVER)
        if self._settings.unit_price > body["max_price_accept"]:
            raise _business_400(PRICE_TOO_HIGH)
        per_order = self._per_order_charge(body["amount"], body["duration_sec"])
        if self._balance < per_order * len(receivers):
            raise _business_400(TOO_LOW)
        self._balance -= per_order * len(receivers)
        now = self.now()
        request_id = self._object_id()
        order_ids = []
        for index, receiver in enumerate(receivers):
            order = FastChargeOrder(
                id=self._object_id(),
                request_id=request_id,
                receiver=receiver,
                requester=self.represent_address,
                amount=body["amount"],
                duration_sec=body["duration_sec"],
                deadline=body["deadline"],
                max_price_accept=body["max_price_accept"],
                unit_price=self._settings.unit_price,
                charge_amount=per_order,
                created_at=now,
                updated_at=now,
                request_index=index,
            )
            self._orders[order.id] = self._open[order.id] = order
            order_ids.append(order.id)
        return Response(200, {"order_ids": order_ids})

    def _order_ids(self, request: Request) -> list[str]:
        ids: list[str] = _validate("body", _json_body(request), ("order_ids",), _ORDER_IDS)[
            "order_ids"
        ]
        return ids

    def _track(self, request: Request) -> Response:
        order_ids = self._order_ids(request)
        if self._settings.track_refuse_ids.intersection(order_ids):
            raise _business_400(INVALID_ORDER_ID)
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
        now = self.now()
        results = []
        for order_id in self._order_ids(request):
            order = self._orders.get(order_id)
            reason: str | None = None
            if order is None:
                reason = "Order not found"
            elif not order.is_matched:
                reason = "Order is not matched yet"
            elif order.repay_by == "Confirmed":
                reason = "Order already confirmed"
            elif order.finished or order.expire_delegate_at is None:
                reason = "Order rental already ended"
            else:
                unused = min(1.0, max(0.0, (order.expire_delegate_at - now) / order.duration_sec))
                refund = int(order.charge_amount * unused * self._settings.confirm_refund_ratio)
                order.status = COMPLETED
                self._repay(order, refund, "Confirmed", now)
            results.append(
                {"order_id": order_id, "is_success": reason is None, "fail_reason": reason}
            )
        return Response(200, {"confirmation_results": results})

    def _cancel(self, request: Request) -> Response:
        now = self.now()
        results = []
        for order_id in self._order_ids(request):
            order = self._orders.get(order_id)
            reason: str | None = None
            if order is None:
                reason = "Order not found"
            elif order.status != PENDING or order.is_matched or order.finished:
                reason = "Only Pending orders can be cancelled"
            else:
                self._refund_all(order, CANCELLED, now)
            results.append(
                {"order_id": order_id, "is_success": reason is None, "fail_reason": reason}
            )
        return Response(200, {"cancel_results": results})

    def _history(self, request: Request) -> Response:
        query = _validate("querystring", request.query, (), _HISTORY)
        bounds: dict[str, float] = {}
        for name in ("from", "to"):
            if query.get(name, "") != "":
                number = _as_number(query[name], integer=False)
                if number is None:
                    raise _business_400(f"TSAS:408 INVALID_PARAMS Invalid {name}")
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
    parser = cli_parser("TronSave Fast Charge simulator", default_port=8081)
    parser.add_argument("--rate-interval", type=float, default=2.0, help="s per request")
    parser.add_argument("--unit-price", type=int, default=60, help="SUN per energy per day")
    parser.add_argument("--supply", type=int, default=100, help="max_receiver_can_provide")
    parser.add_argument("--balance", type=int, default=1_000_000_000, help="SUN")
    parser.add_argument("--auto-match-after", type=float, default=None, help="seconds")
    parser.add_argument("--matched-status", choices=("Matched", "Completed"), default="Matched")
    parser.add_argument("--confirm-refund-ratio", type=float, default=0.5)
    args = parser.parse_args(argv)
    simulator = TronSaveSimulator(
        api_key=args.api_key,
        rate_interval=args.rate_interval,
        unit_price=args.unit_price,
        supply=args.supply,
        balance=args.balance,
        auto_match_after=args.auto_match_after,
        matched_status=args.matched_status,
        confirm_refund_ratio=args.confirm_refund_ratio,
        host=args.host,
        port=args.port,
    )
    serve(simulator, args.log_level)


if __name__ == "__main__":
    main()
