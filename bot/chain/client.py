"""`TronNodeClient`: the `ChainReader` port over a full node's HTTP API and TronGrid's v1.

Every request goes through the shared `Pacer` (one slot for the whole node: TronGrid counts
per key and per IP, not per endpoint). All calls are reads, so transient failures
(timeouts, connection errors, 5xx, 429) are retried a few times, waiting
max(backoff, Retry-After). A wait longer than `max_wait` (a 403 temporary block, a long
Retry-After) is not sat out inside a call: the client fails fast with `ChainRateLimited`
until it has passed, so a conversation can say "could not check" at once. A 5xx asking
for a long wait is retried after `max_wait` at most. A Retry-After given as an HTTP date
is not read (the backoff applies).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from bot.chain.abi import decode_uint256, encode_address, encode_params, encode_uint256
from bot.chain.address import is_valid_address
from bot.chain.errors import (
    ChainAuthError,
    ChainBadAnswer,
    ChainError,
    ChainRateLimited,
    ChainTimeout,
    ChainUnavailable,
)
from bot.chain.models import USDT_CONTRACT, AccountResources, Trc20Transfer
from bot.chain.settings import DEFAULT_NODE_URL, ChainSettings
from bot.providers.pacing import Pacer, key_fingerprint

__all__ = ["API_KEY_HEADER", "TronNodeClient"]

log = logging.getLogger(__name__)

API_KEY_HEADER = "TRON-PRO-API-KEY"
ENERGY_FEE_PARAMETER = "getEnergyFee"
# TronGrid's 403 says "suspended for Ns"; without that or a Retry-After, assume this.
DEFAULT_BLOCK_SECONDS = 30.0
TRC20_PAGE_LIMIT = 200  # TronGrid's maximum page size
_DETAIL_LIMIT = 300
_SUSPENDED_RE = re.compile(r"suspended for (\d+(?:\.\d+)?)\s*s", re.IGNORECASE)

# Raised before the request reached the node.
_NOT_SENT: tuple[type[httpx.RequestError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


# --- answer shapes (private: the port speaks models.py) -------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class _AccountResourceBody(_Model):
    # A missing field means 0: the node omits zero-valued fields.
    energy_limit: int = Field(default=0, alias="EnergyLimit", ge=0)
    energy_used: int = Field(default=0, alias="EnergyUsed", ge=0)


class _TriggerResult(_Model):
    result: bool = False
    code: str | None = None
    message: str | None = None


class _TxRet(_Model):
    ret: str | None = None


class _TriggerTransaction(_Model):
    ret: list[_TxRet] = []


class _TriggerBody(_Model):
    result: _TriggerResult
    constant_result: list[str] = []
    energy_used: int = Field(default=0, ge=0)  # the total, penalty included
    transaction: _TriggerTransaction | None = None

    @property
    def succeeded(self) -> bool:
        if not self.result.result or self.result.code is not None:
            return False
        rets = self.transaction.ret if self.transaction else []
        return not any(r.ret == "FAILED" for r in rets)


class _ChainParameter(_Model):
    key: str
    value: int = 0  # omitted when 0


class _ChainParameters(_Model):
    chain_parameter: list[_ChainParameter] = Field(alias="chainParameter")


class _TokenInfo(_Model):
    address: str


class _Trc20Item(_Model):
    transaction_id: str
    block_timestamp: int
    sender: str = Field(alias="from")
    payee: str = Field(alias="to")
    value: int
    token_info: _TokenInfo


class _Meta(_Model):
    fingerprint: str | None = None


class _Trc20Page(_Model):
    data: list[_Trc20Item] = []
    meta: _Meta = _Meta()


_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class _Failure:
    error: ChainError
    transient: bool  # worth asking again
    wait: float | None = None  # what the node asked for (Retry-After, "suspended for")


# --- client ----------------------------------------------------------------------------------


class TronNodeClient:
    def __init__(
        self,
        *,
        pacer: Pacer,
        base_url: str = DEFAULT_NODE_URL,
        api_key: SecretStr | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = 2,
        backoff: Callable[[int], float] = lambda attempt: float(2**attempt),
        max_wait: float = 10.0,
        energy_fee_ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        secret = api_key.get_secret_value() if api_key is not None else ""
        self._secret = secret
        self.key_id = key_fingerprint(secret) if secret else "no-key"
        self._slot = f"tron:{self.key_id}"
        self._pacer = pacer
        self._max_retries = max_retries
        self._backoff = backoff
        self._max_wait = max_wait
        self._energy_fee_ttl = energy_fee_ttl
        self._clock = clock
        self._blocked_until = -math.inf
        self._fee: tuple[int, float] | None = None  # (SUN per energy, fetched at)
        self._fee_lock = asyncio.Lock()
        headers = {"Accept": "application/json"}
        if secret:
            headers[API_KEY_HEADER] = secret
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    @classmethod
    def from_settings(
        cls,
        settings: ChainSettings,
        pacer: Pacer,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> TronNodeClient:
        return cls(
            pacer=pacer,
            base_url=settings.tron_node_url,
            api_key=settings.trongrid_api_key,
            timeout=settings.tron_timeout_seconds,
            energy_fee_ttl=settings.tron_energy_fee_cache_seconds,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> TronNodeClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- the port ---

    async def account_resources(self, address: str) -> AccountResources:
        raw = await self._wallet("getaccountresource", {"address": _checked(address)})
        if not raw:  # `{}`: the node does not know the address
            return AccountResources(address=address, exists=False)
        body = _parse(_AccountResourceBody, raw)
        return AccountResources(
            address=address,
            exists=True,
            energy_limit=body.energy_limit,
            energy_used=body.energy_used,
        )

    async def account_exists(self, address: str) -> bool:
        raw = await self._wallet("getaccount", {"address": _checked(address)})
        return bool(raw)

    async def usdt_balance(self, address: str) -> int:
        body = await self._trigger(address, "balanceOf(address)", encode_address(address))
        if not body.succeeded:
            raise ChainBadAnswer("CALL_FAILED", _call_message(body))
        if not body.constant_result:
            raise ChainBadAnswer("BAD_RESPONSE", "balanceOf returned no result")
        try:
            return decode_uint256(body.constant_result[0])
        except ValueError as exc:
            raise ChainBadAnswer("BAD_RESPONSE", f"balanceOf: {exc}") from None

    async def simulate_usdt_transfer(self, sender: str, payee: str, amount: int = 1) -> int | None:
        parameter = encode_params(encode_address(_checked(payee)), encode_uint256(amount))
        body = await self._trigger(sender, "transfer(address,uint256)", parameter)
        returned = _first_word(body)
        if not body.succeeded or body.energy_used == 0 or returned == 0:
            # A revert (the sender holds too little USDT, say): the caller falls back.
            log.info("tron transfer simulation did not run: %s", _call_message(body))
            return None
        # TRON's reference: energy_used is the total, the penalty (energy_penalty) included.
        return body.energy_used

    async def energy_fee(self) -> int:
        async with self._fee_lock:
            if self._fee is not None and self._clock() - self._fee[1] < self._energy_fee_ttl:
                return self._fee[0]
            raw = await self._wallet("getchainparameters", {})
            params = _parse(_ChainParameters, raw).chain_parameter
            fee = next((p.value for p in params if p.key == ENERGY_FEE_PARAMETER), 0)
            if fee <= 0:
                raise ChainBadAnswer("BAD_RESPONSE", f"{ENERGY_FEE_PARAMETER} missing or zero")
            self._fee = (fee, self._clock())
            return fee

    async def outgoing_usdt_transfers(
        self, address: str, since_ms: int, *, max_pages: int = 5
    ) -> list[Trc20Transfer]:
        path = f"/v1/accounts/{_checked(address)}/transactions/trc20"
        params: dict[str, str | int] = {
            "only_from": "true",
            "contract_address": USDT_CONTRACT,
            "min_timestamp": since_ms,
            "limit": TRC20_PAGE_LIMIT,
            "order_by": "block_timestamp,desc",
        }
        found: list[Trc20Transfer] = []
        for _ in range(max_pages):
            page = _parse(_Trc20Page, await self._request("GET", path, params=params))
            found.extend(
                Trc20Transfer(
                    transaction_id=item.transaction_id,
                    block_timestamp_ms=item.block_timestamp,
                    sender=item.sender,
                    payee=item.payee,
                    value=item.value,
                    token_address=item.token_info.address,
                )
                for item in page.data
                # The filters are TronGrid's; checked again so a lax node cannot mislead.
                if item.sender == address
                and item.token_info.address == USDT_CONTRACT
                and item.block_timestamp >= since_ms
            )
            if not page.data or page.meta.fingerprint is None:
                return found
            params["fingerprint"] = page.meta.fingerprint
        log.warning("tron trc20 history of %s cut at %d pages", address, max_pages)
        return found

    # --- transport ---

    async def _wallet(self, method: str, body: dict[str, object]) -> dict[str, Any]:
        return await self._request(
            "POST", f"/wallet/{method}", json_body={**body, "visible": True}
        )

    async def _trigger(self, owner: str, selector: str, parameter: str) -> _TriggerBody:
        raw = await self._wallet(
            "triggerconstantcontract",
            {
                "owner_address": _checked(owner),
                "contract_address": USDT_CONTRACT,
                "function_selector": selector,
                "parameter": parameter,
            },
        )
        return _parse(_TriggerBody, raw)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, object] | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> dict[str, Any]:
        attempt = 0
        while True:
            self._check_block()
            async with self._pacer.slot(self._slot):
                outcome = await self._send_once(method, path, json_body, params)
            if not isinstance(outcome, _Failure):
                return outcome
            error = outcome.error
            delay = max(self._backoff(attempt), outcome.wait or 0.0)
            if isinstance(error, ChainRateLimited):
                log.info("tron node rate limited (%s, key %s)", error.code, self.key_id)
                if delay > self._max_wait:
                    # Too long to sit out inside a call: fail fast until it has passed.
                    self._blocked_until = self._clock() + delay
                    raise error
                # Every caller waits, not just this one: the budget is the key's.
                self._pacer.push_back(self._slot, delay)
            if not outcome.transient or attempt >= self._max_retries:
                raise error
            if not isinstance(error, ChainRateLimited):
                # A node in trouble may ask for minutes; the shared pacer waits no longer
                # than max_wait before one more try.
                delay = min(delay, self._max_wait)
                self._pacer.push_back(self._slot, delay)
            attempt += 1
            log.warning(
                "tron node %s failed with %s; retry %d/%d in %.1fs",
                path,
                error.code,
                attempt,
                self._max_retries,
                delay,
            )

    def _check_block(self) -> None:
        remaining = self._blocked_until - self._clock()
        if remaining > 0:
            raise ChainRateLimited(
                "BLOCKED", "waiting out a rate limit", retry_after=remaining, blocked=True
            )

    async def _send_once(
        self,
        method: str,
        path: str,
        json_body: Mapping[str, object] | None,
        params: Mapping[str, str | int] | None,
    ) -> dict[str, Any] | _Failure:
        started = time.monotonic()
        try:
            response = await self._http.request(method, path, json=json_body, params=params)
        except httpx.RequestError as exc:
            log.debug("tron %s %s -> %s", method, path, type(exc).__name__)
            return _transport_failure(exc)
        log.debug(
            "tron %s %s -> %d in %.3fs",
            method,
            path,
            response.status_code,
            time.monotonic() - started,
        )
        return self._read(response)

    def _read(self, response: httpx.Response) -> dict[str, Any] | _Failure:
        if not 200 <= response.status_code < 300:
            return self._http_failure(response)
        status = response.status_code
        try:
            decoded = json.loads(response.content)
        except ValueError:
            detail = self._scrub(response.text)[:_DETAIL_LIMIT]
            return _Failure(ChainBadAnswer("BAD_JSON", detail, http_status=status), False)
        if not isinstance(decoded, dict):
            return _Failure(ChainBadAnswer("BAD_RESPONSE", "not a JSON object"), False)
        # java-tron reports bad input as {"Error": "..."}; TronGrid v1 as success: false.
        if "Error" in decoded or decoded.get("success") is False:
            message = str(decoded.get("Error") or decoded.get("error") or "no reason given")
            node_error = ChainBadAnswer("NODE_ERROR", self._scrub(message)[:_DETAIL_LIMIT])
            return _Failure(node_error, False)
        return decoded

    def _http_failure(self, response: httpx.Response) -> _Failure:
        status = response.status_code
        detail = self._scrub(response.text)[:_DETAIL_LIMIT]
        if status in {429, 403}:
            wait = _retry_after(response)
            if status == 403 and wait is None:
                suspended = _SUSPENDED_RE.search(response.text)
                wait = float(suspended.group(1)) if suspended else DEFAULT_BLOCK_SECONDS
            limited = ChainRateLimited(
                f"HTTP_{status}",
                detail,
                retry_after=wait,
                blocked=status == 403,
                http_status=status,
            )
            # A 403 block is waited out between calls, never inside one.
            return _Failure(limited, transient=status == 429, wait=wait)
        if status == 401:
            return _Failure(ChainAuthError("UNAUTHORIZED", detail, http_status=status), False)
        if status == 404:
            # A plain full node has no /v1 API; a wrong TRON_NODE_URL has neither.
            not_found = ChainUnavailable(
                "NOT_FOUND", detail, outcome_unknown=False, http_status=status
            )
            return _Failure(not_found, transient=False)
        if 400 <= status < 500:
            return _Failure(ChainBadAnswer(f"HTTP_{status}", detail, http_status=status), False)
        # 5xx, or a 1xx/3xx the API never sends.
        unavailable = ChainUnavailable(
            f"HTTP_{status}", detail, outcome_unknown=True, http_status=status
        )
        return _Failure(unavailable, transient=status >= 500, wait=_retry_after(response))

    def _scrub(self, text: str) -> str:
        """Never let the key into an exception, even if the node echoes it back."""
        return text.replace(self._secret, "***") if self._secret else text


# --- helpers -----------------------------------------------------------------------------------


def _checked(address: str) -> str:
    if not is_valid_address(address):
        raise ValueError(f"not a TRON address: {address!r}")
    return address


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _transport_failure(exc: httpx.RequestError) -> _Failure:
    name = type(exc).__name__
    if isinstance(exc, _NOT_SENT):
        code = "CONNECT_TIMEOUT" if isinstance(exc, httpx.TimeoutException) else "CONNECT_ERROR"
        if isinstance(exc, httpx.PoolTimeout):
            code = "POOL_TIMEOUT"
        error_type = ChainTimeout if isinstance(exc, httpx.TimeoutException) else ChainUnavailable
        return _Failure(error_type(code, name, outcome_unknown=False), transient=True)
    if isinstance(exc, httpx.TimeoutException):
        return _Failure(ChainTimeout("TIMEOUT", name, outcome_unknown=True), transient=True)
    unavailable = ChainUnavailable("NETWORK_ERROR", name, outcome_unknown=True)
    return _Failure(unavailable, transient=isinstance(exc, httpx.TransportError))


def _parse(model: type[_M], raw: object) -> _M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise ChainBadAnswer("BAD_RESPONSE", f"{where}: {first['msg']}"[:_DETAIL_LIMIT]) from None


def _first_word(body: _TriggerBody) -> int | None:
    if not body.constant_result:
        return None
    try:
        return decode_uint256(body.constant_result[0])
    except ValueError:
        return None


def _call_message(body: _TriggerBody) -> str:
    """The node's reason, hex-decoded when it comes hex-encoded (it does without `visible`)."""
    message = body.result.message or body.result.code or "no result"
    try:
        decoded = bytes.fromhex(message).decode()
    except ValueError:
        return message[:_DETAIL_LIMIT]
    return decoded[:_DETAIL_LIMIT] if decoded.isprintable() else message[:_DETAIL_LIMIT]
