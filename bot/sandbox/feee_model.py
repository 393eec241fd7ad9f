"""Feee.io simulator, its data: settings, status codes, the order record, request parsing.

`bot.sandbox.feee` serves these; its docstring says what is documented and what is
invented.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from bot.sandbox.server import ApiError, Request, Response
from bot.sandbox.values import (
    Coercer,
    as_bool,
    as_decimal,
    as_float,
    as_int,
    as_optional_float,
    as_optional_str_set,
    as_str,
    as_str_set,
)

CODE_PARAM = 10001
CODE_AUTH = 10002
CODE_BALANCE = 20002
CODE_NOT_FOUND = 20004
CODE_NOT_ACTIVATED = 20005
CODE_NO_RESOURCES = 20009
CODE_IP = 20012
CODE_USER_AGENT = 20013
CODE_TOO_MANY_ORDERS = 20014
CODE_CANCEL_REFUSED = 20015

PAID = 4  # paid, awaiting delegation
DELEGATED = 6
FAILED = 7
RECLAIMED = 9
CANCELLED = 12
PARTIAL = 15
BUSINESS_PENDING, BUSINESS_FILLED, BUSINESS_FINISHED, BUSINESS_CLOSED = 1, 2, 3, 4

INCOMPLETE = frozenset({1, 3, 4, 5, 11, 13, 15})
CANCELLABLE = frozenset({1, 3, 4})
FINAL = frozenset({2, 7, 9, 10, 12, 14})
TRX_QUANTUM = Decimal("0.000001")


@dataclass(frozen=True)
class FeeeSettings:
    api_key: str = "test-key"
    qps: int = 5
    price_v2: int = 100  # SUN per energy unit per day
    price_v3: int = 80
    service_fee: Decimal = Decimal("0.56")  # TRX per order
    auto_deliver_after: float | None = None  # seconds after creation; None = manual only
    no_resources: bool = False
    not_activated: frozenset[str] = frozenset()
    ua_whitelist: frozenset[str] | None = None
    ip_whitelist: frozenset[str] | None = None
    min_resource_value: int = 32_000
    max_incomplete_orders: int = 5
    cancel_after: float = 300.0  # seconds after creation
    # Price answers with these fields null, or left out (a provider's missing numbers).
    price_null_fields: frozenset[str] = frozenset()
    price_missing_fields: frozenset[str] = frozenset()


COERCERS: dict[str, Coercer] = {
    "api_key": as_str,
    "qps": as_int,
    "price_v2": as_int,
    "price_v3": as_int,
    "service_fee": as_decimal,
    "auto_deliver_after": as_optional_float,
    "no_resources": as_bool,
    "not_activated": as_str_set,
    "ua_whitelist": as_optional_str_set,
    "ip_whitelist": as_optional_str_set,
    "min_resource_value": as_int,
    "max_incomplete_orders": as_int,
    "cancel_after": as_float,
    "price_null_fields": as_str_set,
    "price_missing_fields": as_str_set,
    "balance": as_decimal,
}


def unix_seconds(timestamp: float | None) -> int:
    return 0 if timestamp is None else int(timestamp)


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str
    seconds: int
    days: int  # billing multiplier


V3_DURATION = Duration(5, "m", 300, 1)


@dataclass
class FeeeOrder:
    order_no: str
    receive_address: str
    resource_value: int
    price_in_sun: int
    duration: Duration
    pay_amount: Decimal
    create_time: float
    is_child: bool = False
    status: int = PAID
    business_status: int = BUSINESS_PENDING
    freeze_time: float | None = None
    rent_expire_time: float | None = None
    frozen_tx_id: str = ""
    frozen_resource_value: int = 0
    refund_amount: Decimal = Decimal(0)
    refund_time: float | None = None
    children: list[FeeeOrder] = field(default_factory=list)
    null_fields: frozenset[str] = frozenset()  # answered as null (fault injection)
    missing_fields: frozenset[str] = frozenset()  # left out of answers (fault injection)

    @property
    def units(self) -> list[FeeeOrder]:
        """What gets delivered: the children of a split order, else the order itself."""
        return self.children or [self]

    def shift(self, seconds: float) -> None:
        self.create_time -= seconds
        for name in ("freeze_time", "rent_expire_time", "refund_time"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value - seconds)
        for child in self.children:
            child.shift(seconds)

    def detail(self) -> dict[str, object]:
        data: dict[str, object] = {
            "order_no": self.order_no,
            "order_type": 0,
            "resource_type": 1,
            "receive_address": self.receive_address,
            "price_in_sun": self.price_in_sun,
            "freeze_time": unix_seconds(self.freeze_time),
            "create_time": unix_seconds(self.create_time),
            "resource_value": self.resource_value,
            "frozen_resource_value": self.frozen_resource_value,
            "rent_duration": self.duration.amount,
            "rent_time_unit": self.duration.unit,
            "rent_time_second": self.duration.seconds,
            "rent_expire_time": unix_seconds(self.rent_expire_time),
            "frozen_tx_id": self.frozen_tx_id,
            "pay_time": unix_seconds(self.create_time),
            "pay_amount": self.pay_amount,
            "refund_amount": self.refund_amount,
            "refund_time": unix_seconds(self.refund_time),
            "is_split": 1 if self.children else 0,
            "is_lock": 1,
            "lock_period": 28_800 if self.duration.seconds >= 86_400 else 200,
            "status": self.status,
            "business_status": self.business_status,
        }
        if self.children:
            data["sub_order"] = [child.detail() for child in self.children]
        for name in self.null_fields:
            data[name] = None
        for name in self.missing_fields:
            data.pop(name, None)
        return data


@dataclass
class LostAnswer:
    """The `remaining`-th create request from now loses its answer (after creating)."""

    remaining: int
    mode: str  # "error500" or "delay"
    seconds: float


@dataclass
class Reprice:
    """Once `remaining` more orders are created, the prices change to these."""

    remaining: int
    price_v2: int | None
    price_v3: int | None


LOST_ANSWER_MODES = ("error500", "delay")


def envelope(code: int, msg: str, data: object = None) -> dict[str, object]:
    return {"code": code, "msg": msg, "request_id": str(uuid.uuid4()), "data": data}


def refuse(code: int, msg: str) -> ApiError:
    return ApiError(Response(200, envelope(code, msg)))


def int_param(params: Mapping[str, object], name: str, default: int | None = None) -> int:
    """An integer from a JSON body or a query string (where everything is text)."""
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise refuse(CODE_PARAM, f"{name} is required")
        return default
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lstrip("-").isdigit():
        return int(raw)
    raise refuse(CODE_PARAM, f"{name} must be an integer")


def parse_duration(params: Mapping[str, object]) -> Duration:
    amount = int_param(params, "rent_duration")
    unit = params.get("rent_time_unit")
    if not isinstance(unit, str) or not unit:
        raise refuse(CODE_PARAM, "rent_time_unit is required")
    seconds = int_param(params, "rent_time_second", default=0)
    if seconds != 0:
        if seconds < 600 or seconds % 3:
            raise refuse(CODE_PARAM, "rent_time_second must be at least 600 and a multiple of 3")
        return Duration(amount, unit, seconds, max(1, math.ceil(seconds / 86_400)))
    if unit == "d":
        if not 1 <= amount <= 30:
            raise refuse(CODE_PARAM, "rent_duration must be between 1 and 30 for unit d")
        return Duration(amount, unit, amount * 86_400, amount)
    if unit == "h":
        if amount not in (1, 3):
            raise refuse(CODE_PARAM, "rent_duration must be 1 or 3 for unit h")
        return Duration(amount, unit, amount * 3_600, 1)
    if unit == "m":
        if amount != 10:
            raise refuse(CODE_PARAM, "rent_duration must be 10 for unit m")
        return Duration(amount, unit, 600, 1)
    raise refuse(CODE_PARAM, "rent_time_unit must be one of d, h, m")


def json_body(request: Request) -> Mapping[str, object]:
    try:
        body = request.json()
    except ValueError as exc:
        raise refuse(CODE_PARAM, "request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise refuse(CODE_PARAM, "request body must be a JSON object")
    return body
