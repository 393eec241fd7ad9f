"""TronSave simulator, its data: settings, the order record, Fastify-style validation.

`bot.sandbox.tronsave` serves these; its docstring says what is documented and what is
invented.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from bot.sandbox.server import ApiError, Request, Response
from bot.sandbox.values import (
    Coercer,
    as_bool,
    as_float,
    as_int,
    as_optional_float,
    as_str,
    as_str_set,
)

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


def waiting(order: FastChargeOrder) -> bool:
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
    # Estimate answers with these fields null, or left out (a provider's missing numbers).
    estimate_null_fields: frozenset[str] = frozenset()
    estimate_missing_fields: frozenset[str] = frozenset()
    # Seconds the simulator's clock (timestamps, ids, the Date header) runs ahead of ours.
    clock_offset: float = 0.0
    # A history that lags: an order shows up `history_delay` s after its creation, the
    # n-th order of one request `n * history_stagger` s later still (one by one).
    history_delay: float = 0.0
    history_stagger: float = 0.0
    # The largest history page served, whatever pageSize asks (None: no limit).
    history_max_page_size: int | None = None
    # The deposit address user-info gives, as sent (None: one derived from the API key);
    # a malformed one tests that the bot draws no QR code for it.
    deposit_address: str | None = None


def _as_optional_int(value: object) -> int | None:
    return None if value is None else as_int(value)


COERCERS: dict[str, Coercer] = {
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
    "estimate_null_fields": as_str_set,
    "estimate_missing_fields": as_str_set,
    "balance": as_int,
    "clock_offset": as_float,
    "history_delay": as_float,
    "history_stagger": as_float,
    "history_max_page_size": _as_optional_int,
    "deposit_address": lambda v: None if v is None else as_str(v),
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


def as_number(raw: object, integer: bool) -> float | int | None:
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
        number = as_number(raw, spec.kind == "integer")
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


def validate(
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


def json_body(request: Request) -> object:
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


ORDER_IDS_BODY = (_Field("order_ids", "string_array"),)
ESTIMATE_BODY = (
    _Field("receiver_count", "integer", 1),
    _Field("amount", "number", 1),
    _Field("max_price_accept", "number", 0),
    _Field("resource_type", "string", allowed=("ENERGY",)),
    _Field("duration_sec", "number", 1),
)
CREATE_BODY = (
    _Field("amount", "number", 1),
    _Field("duration_sec", "number", 1),
    _Field("max_price_accept", "number", 0),
    _Field("receivers", "string_array", 1),
    _Field("deadline", "number", 1),
)
WHOLE_FIELDS = ("amount", "duration_sec", "deadline")
HISTORY_QUERY = (
    _Field("from", "string"),
    _Field("to", "string"),
    _Field("page", "integer", 0),
    _Field("pageSize", "integer", 1),
)


def business_400(message: str) -> ApiError:
    return ApiError(Response(400, {"error": True, "message": message}))


def require_whole(body: Mapping[str, object]) -> None:
    """Energy amounts and seconds are Numbers in the docs, but only whole ones make sense."""
    for name in WHOLE_FIELDS:
        if isinstance(body.get(name), float):  # integral values were already made ints
            raise business_400(f"TSAS:408 INVALID_PARAMS Invalid {name}")
