"""Typed async client for the Feee.io open API (`https://feee.io/open`).

Facts and their confidence are in `/work/shared/reference/provider_apis.md` section 2.
Money arrives as TRX decimals and leaves this module as integer SUN; JSON numbers are
decoded straight to `Decimal` so no amount ever passes through a float.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bot.net.http import ClosingClient, decode_json, retry_after, scrub, send_fault
from bot.net.pacing import Pacer, key_fingerprint
from bot.providers.errors import (
    ProviderAuthError,
    ProviderBusinessError,
    ProviderRateLimited,
    ProviderUnavailable,
    ProviderValidationError,
)
from bot.providers.feee.durations import UNIT_SECONDS, FeeeDuration
from bot.providers.feee.models import FeeeAccount, FeeeOrder, FeeeQuote
from bot.providers.feee.reasons import AUTH_CODES, reason_of

logger = logging.getLogger(__name__)

PROVIDER: Final = "feee"
DEFAULT_BASE_URL: Final = "https://feee.io/open"

# A Retry-After longer than this is not waited for inside one call.
MAX_RETRY_AFTER_SECONDS: Final = 60.0

RESOURCE_TYPE_ENERGY: Final = 1

_M = TypeVar("_M", bound=BaseModel)


class FeeeClient(ClosingClient):
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

    @property
    def request_interval(self) -> float:
        """Seconds between two requests of this key (every endpoint shares the pace)."""
        return self._pacer.min_interval

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
            wait = retry_after(response, cap=MAX_RETRY_AFTER_SECONDS)
            delay = max(self._backoff(attempt), wait or 0.0)
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
            unknown = is_write and send_fault(exc).reached
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
        msg = scrub(str(envelope.get("msg") or ""), self._api_key.get_secret_value())
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
        reason = reason_of(str(code))
        if code in AUTH_CODES or status in (401, 403):
            return ProviderAuthError(PROVIDER, str(code), msg, http_status=status, reason=reason)
        return ProviderBusinessError(
            PROVIDER, str(code), msg, http_status=status, request_id=request_id, reason=reason
        )


def _check_resource_value(resource_value: int) -> None:
    if isinstance(resource_value, bool) or resource_value <= 0:
        raise ValueError("resource_value must be a positive int")


def _check_order_no(order_no: str) -> None:
    if not order_no or not order_no.isascii() or not order_no.isalnum():
        raise ValueError("order_no must be a non-empty alphanumeric string")


def _echoed_seconds(quote: FeeeQuote) -> int:
    if quote.rent_time_second:
        return quote.rent_time_second
    unit = UNIT_SECONDS.get(quote.rent_time_unit)
    return quote.rent_duration * unit if unit and quote.rent_duration > 0 else 0


def _decode(content: bytes) -> dict[str, Any] | None:
    body = decode_json(content)
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
