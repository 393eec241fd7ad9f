"""Typed async client for the Feee.io open API (`https://feee.io/open`).

Facts and their confidence are in `/work/shared/reference/provider_apis.md` section 2.
Money arrives as TRX decimals and leaves this module as integer SUN; JSON numbers are
decoded straight to `Decimal` so no amount ever passes through a float.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Final, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from bot.domain import OrderState
from bot.money import trx_to_sun
from bot.providers.errors import (
    ProviderAuthError,
    ProviderBusinessError,
    ProviderRateLimited,
    ProviderUnavailable,
    ProviderValidationError,
)
from bot.providers.pacing import Pacer, key_fingerprint

logger = logging.getLogger(__name__)

PROVIDER: Final = "feee"
DEFAULT_BASE_URL: Final = "https://feee.io/open"

# Business codes. Feee publishes no error table; these come from third-party clients
# (reference §2.3), so treat them as hints for messages, not as a contract.
CODE_INSUFFICIENT_BALANCE: Final = 20002
CODE_ADDRESS_NOT_ACTIVATED: Final = 20005
CODE_NO_RESOURCES: Final = 20009
CODE_IP_NOT_WHITELISTED: Final = 20012
CODE_USER_AGENT_NOT_WHITELISTED: Final = 20013
CODE_TOO_MANY_OPEN_ORDERS: Final = 20014
AUTH_CODES: Final = frozenset({CODE_IP_NOT_WHITELISTED, CODE_USER_AGENT_NOT_WHITELISTED})

# Feee refuses cancellation until an order is more than five minutes old [C].
CANCEL_MIN_AGE_SECONDS: Final = 300
# A Retry-After longer than this is not waited for inside one call.
MAX_RETRY_AFTER_SECONDS: Final = 60.0

RESOURCE_TYPE_ENERGY: Final = 1


# --------------------------------------------------------------------------- durations

_UNIT_SECONDS: Final = {"m": 60, "h": 3600, "d": 86400}
FIVE_MINUTE_SECONDS: Final = 300  # v3 orders are fixed at five minutes
MIN_RENT_SECONDS: Final = 600  # v2 floor: the official example sends exactly 600
MAX_RENT_SECONDS: Final = 30 * 86400  # unit `d` allows 1-30; assumed to cap seconds too


class UnsupportedDuration(ValueError):
    """A duration Feee cannot rent. `reason` is a machine code, never prose."""

    def __init__(self, reason: str, seconds: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds


def _unit_pair_ok(rent_duration: int, unit: str) -> bool:
    """The documented `rent_duration`/`rent_time_unit` pairs: d 1-30, h 1 or 3, m 10."""
    if unit == "d":
        return 1 <= rent_duration <= 30
    if unit == "h":
        return rent_duration in (1, 3)
    if unit == "m":
        return rent_duration == 10
    return False


@dataclass(frozen=True)
class FeeeDuration:
    """A rental length Feee serves, in the exact fields it is sent as.

    Forms (reference §2.4 A/B):
    - five_minute: the cheaper v3 endpoints, fixed 300 s; stored as (5, "m", 0), none of
      which is sent.
    - unit form, `rent_time_second == 0`: 10 m, 1 h, 3 h or 1-30 d. Preferred whenever
      the length has one: these pairs are plainly documented, while seconds values may
      be limited by a per-key allowed list nobody has seen ([U]).
    - seconds form, `rent_time_second` > 0: any other length of 600 s .. 30 d that is a
      multiple of 3 (Feee's rule). The docs say a valid value overrides the unit pair, so
      (1, "h") is sent beside it as in the official example; `FeeeClient.price` refuses
      a quote that echoes a different length, in case Feee silently fell back to it.

    Construction validates, so an instance is always something Feee accepts.
    """

    rent_duration: int
    rent_time_unit: str
    rent_time_second: int
    five_minute: bool = False

    FIVE_MINUTES: ClassVar[FeeeDuration]

    def __post_init__(self) -> None:
        if self.five_minute:
            if (self.rent_duration, self.rent_time_unit, self.rent_time_second) != (5, "m", 0):
                raise UnsupportedDuration("bad_five_minute_form")
            return
        if not _unit_pair_ok(self.rent_duration, self.rent_time_unit):
            raise UnsupportedDuration("bad_unit")
        if self.rent_time_second:
            _check_seconds_form(self.rent_time_second)

    @property
    def seconds(self) -> int:
        if self.rent_time_second:
            return self.rent_time_second
        return self.rent_duration * _UNIT_SECONDS[self.rent_time_unit]

    @classmethod
    def from_seconds(cls, seconds: int) -> FeeeDuration:
        """The exact Feee form of `seconds`; never rounds, raises UnsupportedDuration."""
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise UnsupportedDuration("not_int")
        if seconds <= 0:
            raise UnsupportedDuration("not_positive", seconds)
        if seconds == FIVE_MINUTE_SECONDS:
            return cls.FIVE_MINUTES
        if seconds == 600:
            return cls(10, "m", 0)
        if seconds in (3600, 3 * 3600):
            return cls(seconds // 3600, "h", 0)
        if seconds % 86400 == 0 and seconds <= MAX_RENT_SECONDS:
            return cls(seconds // 86400, "d", 0)
        _check_seconds_form(seconds)
        return cls(1, "h", seconds)

    @classmethod
    def choices(cls) -> tuple[FeeeDuration, ...]:
        """The lengths the bot offers, shortest first."""
        return (
            cls.FIVE_MINUTES,
            cls(10, "m", 0),
            cls(1, "h", 0),
            cls(3, "h", 0),
            cls(1, "d", 0),
            cls(3, "d", 0),
            cls(7, "d", 0),
            cls(30, "d", 0),
        )


def _check_seconds_form(seconds: int) -> None:
    if seconds < MIN_RENT_SECONDS:
        raise UnsupportedDuration("too_short", seconds)
    if seconds > MAX_RENT_SECONDS:
        raise UnsupportedDuration("too_long", seconds)
    if seconds % 3:
        raise UnsupportedDuration("not_multiple_of_3", seconds)


FeeeDuration.FIVE_MINUTES = FeeeDuration(5, "m", 0, five_minute=True)


# ------------------------------------------------------------------------------ models


def _sun(value: object) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError("not a TRX amount")
    if isinstance(value, Decimal | str | int):
        return trx_to_sun(value)
    if isinstance(value, float):  # only from callers that bypassed our JSON decoder
        return trx_to_sun(str(value))
    raise ValueError("not a TRX amount")


def _trx_fields_to_sun(
    data: Any, fields: Mapping[str, str], required: frozenset[str] = frozenset()
) -> Any:
    """Rename Feee's TRX fields to their SUN names, converting the value exactly.

    The SUN name wins when both are present, so models can also be built from SUN.
    """
    if not isinstance(data, Mapping):
        return data
    out = dict(data)
    for trx_name, sun_name in fields.items():
        if sun_name in out:
            out.pop(trx_name, None)
            continue
        if trx_name in out and (out[trx_name] is not None or trx_name in required):
            out[sun_name] = _sun(out.pop(trx_name))
        else:
            out.pop(trx_name, None)
    return out


class _FeeeModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FeeeQuote(_FeeeModel):
    resource_value: int = Field(gt=0)  # the fee is spread over it: 0 is unreadable
    pay_sun: int  # `pay_amount`: total to pay, service fee included
    service_sun: int | None = None  # `service_amount`; None when not given
    price_in_sun: int  # SUN per energy unit, before the fee
    rent_duration: int = 0
    rent_time_unit: str = ""
    rent_time_second: int = 0

    @model_validator(mode="before")
    @classmethod
    def _from_trx(cls, data: Any) -> Any:
        return _trx_fields_to_sun(
            data,
            {"pay_amount": "pay_sun", "service_amount": "service_sun"},
            required=frozenset({"pay_amount"}),
        )

    @property
    def paid_unit_price(self) -> int:
        """SUN per energy unit the user really pays, the per-order fee included, rounded
        up: what a max price must be compared with. The energy part is `price_in_sun` (per
        day for longer rentals, like TronSave's unit price); the fee is spread over the
        units. Without `service_amount`, the fee is what `pay_amount` adds to the energy
        price, which can only overstate it (the safe side for a max price)."""
        fee = self.service_sun
        if fee is None:
            fee = max(0, self.pay_sun - self.price_in_sun * self.resource_value)
        return self.price_in_sun + -(-fee // self.resource_value)


class FeeeOrder(_FeeeModel):
    """Feee's BuyOrderDetail (reference §2.5), amounts in SUN.

    Only `order_no` is required. Any other field may be null or missing (a record with
    one odd field must still be readable): fields with a default take it, and `status`
    and `resource_value`, which nothing can stand in for, become None.
    """

    order_no: str
    receive_address: str = ""
    resource_value: int | None = None
    frozen_resource_value: int = 0
    price_in_sun: int = 0
    pay_sun: int = 0  # `pay_amount`
    refund_sun: int = 0  # `refund_amount`
    status: int | None = None
    business_status: int = 0  # absent on the split-parent example
    frozen_tx_id: str = ""  # on-chain delegate tx; "" until delegated
    create_time: int = 0
    freeze_time: int = 0
    rent_expire_time: int = 0
    rent_duration: int = 0
    rent_time_unit: str = ""
    rent_time_second: int = 0  # absent on older examples
    is_split: bool = False
    sub_orders: list[FeeeOrder] = Field(default_factory=list)  # `sub_order`

    @model_validator(mode="before")
    @classmethod
    def _from_feee(cls, data: Any) -> Any:
        data = _trx_fields_to_sun(data, {"pay_amount": "pay_sun", "refund_amount": "refund_sun"})
        if not isinstance(data, dict):
            return data
        if "sub_order" in data:
            data.setdefault("sub_orders", data.pop("sub_order") or [])
        if isinstance(data.get("sub_orders"), list):
            data["sub_orders"] = [sub for sub in data["sub_orders"] if isinstance(sub, dict)]
        # null means "not known": the field's default (or None) stands for it.
        for name in [k for k, v in data.items() if v is None]:
            del data[name]
        # 22-digit ids are strings in every example; accept a bare JSON integer too.
        if isinstance(data.get("order_no"), int) and not isinstance(data["order_no"], bool):
            data["order_no"] = str(data["order_no"])
        return data


class FeeeAccount(_FeeeModel):
    """`GET /v2/api/query`. Only third parties describe it (reference §2.4 G)."""

    balance_sun: int  # `trx_money`
    recharge_address: str | None = None
    today_energy_value: int | None = None
    today_consume_sun: int | None = None  # `today_consume_trx_amount`
    qps: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_trx(cls, data: Any) -> Any:
        return _trx_fields_to_sun(
            data,
            {"trx_money": "balance_sun", "today_consume_trx_amount": "today_consume_sun"},
            required=frozenset({"trx_money"}),
        )


# ---------------------------------------------------------------------- status mapping

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
BUSINESS_FINISHED: Final = 3
_CANCELLING: Final = frozenset({11, 13})  # cancellation or refund already under way
CANCELLING_STATUSES: Final = _CANCELLING


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


def can_cancel(order: FeeeOrder, now: float) -> bool:
    """Feee accepts a cancel only for an order older than 300 s and not completed.

    Also refused here: delivered orders, orders already cancelling/refunding (11, 13),
    finished/closed business states and every non-pending state.
    """
    if now - order.create_time <= CANCEL_MIN_AGE_SECONDS:
        return False
    if order.status in _CANCELLING or order.business_status in (
        BUSINESS_FINISHED,
        BUSINESS_CLOSED,
    ):
        return False
    return order_state(order) is OrderState.PENDING


# ------------------------------------------------------------------------------ client

_M = TypeVar("_M", bound=BaseModel)

# Failures that prove the request never left this process.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class FeeeClient:
    """One API key. All requests share one pacing budget, `feee:<key_id>`."""

    provider = PROVIDER

    def __init__(
        self,
        *,
        api_key: SecretStr,
        base_url: str = DEFAULT_BASE_URL,
        user_agent: str,
        pacer: Pacer,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = 3,
        backoff: Callable[[int], float] = lambda attempt: 0.5 * 2**attempt,
    ) -> None:
        self._api_key = api_key
        self.key_id = key_fingerprint(api_key.get_secret_value())
        self._pacer = pacer
        self._pacer_key = f"feee:{self.key_id}"
        self._max_retries = max_retries
        self._backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": user_agent},
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def price(self, *, resource_value: int, duration: FeeeDuration) -> FeeeQuote:
        _check_resource_value(resource_value)
        if duration.five_minute:
            return await self._call(
                FeeeQuote, "GET", "v3/order/price", params={"resource_value": resource_value}
            )
        quote = await self._call(
            FeeeQuote,
            "GET",
            "v2/order/price",
            params={
                "resource_value": resource_value,
                "rent_duration": duration.rent_duration,
                "rent_time_unit": duration.rent_time_unit,
                "rent_time_second": duration.rent_time_second,
            },
        )
        echoed = _echoed_seconds(quote)
        if echoed and echoed != duration.seconds:
            # Feee ignores an "invalid" rent_time_second and falls back to the unit pair;
            # catching it on the quote keeps an order from being placed for the wrong time.
            logger.warning(
                "feee duration mismatch key_id=%s asked=%s quoted=%s",
                self.key_id,
                duration.seconds,
                echoed,
            )
            raise ProviderValidationError(PROVIDER, "DURATION_MISMATCH", field="duration")
        return quote

    async def submit(
        self, *, receive_address: str, resource_value: int, duration: FeeeDuration
    ) -> FeeeOrder:
        """Create an order. Never retried: Feee has no idempotency key."""
        _check_resource_value(resource_value)
        body: dict[str, object] = {
            "resource_type": RESOURCE_TYPE_ENERGY,
            "receive_address": receive_address,
            "resource_value": resource_value,
        }
        if duration.five_minute:
            return await self._call(FeeeOrder, "POST", "v3/order/create", json_body=body)
        body |= {
            "rent_duration": duration.rent_duration,
            "rent_time_unit": duration.rent_time_unit,
            "rent_time_second": duration.rent_time_second,
        }
        return await self._call(FeeeOrder, "POST", "v2/order/submit", json_body=body)

    async def query(self, order_no: str) -> FeeeOrder:
        _check_order_no(order_no)
        return await self._call(FeeeOrder, "GET", "v2/order/query", params={"order_no": order_no})

    async def cancel(self, order_no: str) -> FeeeOrder:
        _check_order_no(order_no)
        return await self._call(
            FeeeOrder, "POST", "v2/order/cancel", json_body={"order_no": order_no}
        )

    async def account(self) -> FeeeAccount:
        return await self._call(FeeeAccount, "GET", "v2/api/query")

    # -------------------------------------------------------------------- internals

    async def _call(
        self,
        model: type[_M],
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Mapping[str, object] | None = None,
    ) -> _M:
        # Writes (POST) are never repeated: a second create could rent twice.
        is_write = method != "GET"
        attempt = 0
        while True:
            response = await self._send(method, path, params, json_body, is_write)
            if response.status_code != 429:
                break
            retry_after = _retry_after(response)
            delay = max(self._backoff(attempt), retry_after or 0.0)
            # Back the whole key off, not just this call: the budget is per key.
            self._pacer.push_back(self._pacer_key, delay)
            if is_write or attempt >= self._max_retries:
                logger.warning(
                    "feee rate limited path=%s key_id=%s attempts=%s", path, self.key_id, attempt
                )
                raise ProviderRateLimited(PROVIDER, "HTTP_429", http_status=429)
            attempt += 1
        return self._parse(model, path, response, is_write)

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        json_body: Mapping[str, object] | None,
        is_write: bool,
    ) -> httpx.Response:
        headers = {"key": self._api_key.get_secret_value()}
        content: bytes | None = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(json_body, separators=(",", ":")).encode()
        try:
            async with self._pacer.slot(self._pacer_key):
                return await self._http.request(
                    method, path, params=params, content=content, headers=headers
                )
        except httpx.TransportError as exc:
            # Only a write that may have reached Feee leaves the outcome unknown.
            unknown = is_write and not isinstance(exc, _NOT_SENT)
            code = "TIMEOUT" if isinstance(exc, httpx.TimeoutException) else "NETWORK"
            logger.warning(
                "feee transport error path=%s key_id=%s error=%s outcome_unknown=%s",
                path,
                self.key_id,
                type(exc).__name__,
                unknown,
            )
            raise ProviderUnavailable(
                PROVIDER, code, type(exc).__name__, outcome_unknown=unknown
            ) from None

    def _parse(self, model: type[_M], path: str, response: httpx.Response, is_write: bool) -> _M:
        status = response.status_code
        if status >= 500:
            logger.warning(
                "feee http error path=%s key_id=%s status=%s", path, self.key_id, status
            )
            raise ProviderUnavailable(
                PROVIDER, f"HTTP_{status}", outcome_unknown=is_write, http_status=status
            )
        envelope = _decode(response.content)
        code = _envelope_code(envelope)
        if envelope is not None and code is not None and code != 0:
            raise self._business_error(path, envelope, code, status)
        if status in (401, 403):
            logger.warning(
                "feee auth failed path=%s key_id=%s status=%s", path, self.key_id, status
            )
            raise ProviderAuthError(PROVIDER, f"HTTP_{status}", http_status=status)
        if not 200 <= status < 300:
            # A definite refusal without Feee's envelope (e.g. a wrong base URL).
            logger.warning(
                "feee http error path=%s key_id=%s status=%s", path, self.key_id, status
            )
            raise ProviderUnavailable(
                PROVIDER, f"HTTP_{status}", outcome_unknown=False, http_status=status
            )
        if envelope is None or code is None:
            raise self._bad_response(path, status, "NoEnvelope", envelope)
        try:
            return model.model_validate(envelope.get("data"))
        except ValidationError:
            raise self._bad_response(path, status, "ValidationError", envelope) from None

    def _bad_response(
        self, path: str, status: int, error: str, envelope: Mapping[str, object] | None
    ) -> ProviderUnavailable:
        # Feee answered 2xx, so it did process something; we just cannot read what.
        logger.warning(
            "feee bad response path=%s key_id=%s error=%s request_id=%s",
            path,
            self.key_id,
            error,
            _request_id(envelope),
        )
        return ProviderUnavailable(
            PROVIDER, "BAD_RESPONSE", error, outcome_unknown=True, http_status=status
        )

    def _business_error(
        self, path: str, envelope: Mapping[str, object], code: int, status: int
    ) -> ProviderAuthError | ProviderBusinessError:
        msg = self._scrub(str(envelope.get("msg") or ""))
        request_id = _request_id(envelope)
        logger.warning(
            "feee error path=%s key_id=%s code=%s msg=%s request_id=%s http_status=%s",
            path,
            self.key_id,
            code,
            msg,
            request_id,
            status,
        )
        if code in AUTH_CODES or status in (401, 403):
            return ProviderAuthError(PROVIDER, str(code), msg, http_status=status)
        return ProviderBusinessError(
            PROVIDER, str(code), msg, http_status=status, request_id=request_id
        )

    def _scrub(self, text: str) -> str:
        # Provider text goes into exceptions and logs; make sure it cannot carry the key.
        secret = self._api_key.get_secret_value()
        return text.replace(secret, "***") if secret else text


def _check_resource_value(resource_value: int) -> None:
    if isinstance(resource_value, bool) or resource_value <= 0:
        raise ValueError("resource_value must be a positive int")


def _check_order_no(order_no: str) -> None:
    if not order_no or not order_no.isascii() or not order_no.isalnum():
        raise ValueError("order_no must be a non-empty alphanumeric string")


def _echoed_seconds(quote: FeeeQuote) -> int:
    if quote.rent_time_second:
        return quote.rent_time_second
    unit = _UNIT_SECONDS.get(quote.rent_time_unit)
    return quote.rent_duration * unit if unit and quote.rent_duration > 0 else 0


def _decode(content: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(content, parse_float=Decimal)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return None
    return body if isinstance(body, dict) else None


def _envelope_code(envelope: Mapping[str, object] | None) -> int | None:
    if envelope is None:
        return None
    raw = envelope.get("code")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.lstrip("-").isdigit():
        return int(raw)
    return None


def _request_id(envelope: Mapping[str, object] | None) -> str | None:
    value = None if envelope is None else envelope.get("request_id")
    return str(value) if value is not None else None


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS) if math.isfinite(seconds) else None
