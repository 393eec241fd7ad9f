"""The TRON node client's transport: pacing, retries with backoff, and failures typed.

Every request goes through the shared `Pacer` (one slot for the whole node: TronGrid counts
per key and per IP, not per endpoint). All calls are reads, so transient failures
(timeouts, connection errors, 5xx, 429) are retried a few times, waiting
max(backoff, Retry-After). A wait longer than `max_wait` (a 403 temporary block, a long
Retry-After) is not sat out inside a call: the transport fails fast with `ChainRateLimited`
until it has passed, so a conversation can say "could not check" at once. A 5xx asking
for a long wait is retried after `max_wait` at most. A Retry-After given as an HTTP date
is not read (the backoff applies).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

import httpx
from pydantic import SecretStr

from bot.chain.errors import (
    ChainAuthError,
    ChainBadAnswer,
    ChainError,
    ChainRateLimited,
    ChainTimeout,
    ChainUnavailable,
)
from bot.chain.settings import DEFAULT_NODE_URL
from bot.net.http import (
    DETAIL_LIMIT,
    UNDECODABLE,
    ClosingClient,
    decode_json,
    retry_after,
    scrub,
    send_fault,
)
from bot.net.pacing import Pacer, key_fingerprint

__all__ = ["API_KEY_HEADER", "NodeTransport", "TransportOptions"]

log = logging.getLogger(__name__)

API_KEY_HEADER = "TRON-PRO-API-KEY"
# TronGrid's 403 says "suspended for Ns"; without that or a Retry-After, assume this.
DEFAULT_BLOCK_SECONDS = 30.0
_SUSPENDED_RE = re.compile(r"suspended for (\d+(?:\.\d+)?)\s*s", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Failure:
    error: ChainError
    transient: bool  # worth asking again
    wait: float | None = None  # what the node asked for (Retry-After, "suspended for")


class TransportOptions(TypedDict, total=False):
    """`NodeTransport`'s settings other than the pacer, for the client to pass on."""

    base_url: str
    api_key: SecretStr | None
    timeout: float
    transport: httpx.AsyncBaseTransport | None
    max_retries: int
    backoff: Callable[[int], float]
    max_wait: float
    clock: Callable[[], float]


class NodeTransport(ClosingClient):
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
        self._clock = clock
        self._blocked_until = -math.inf
        headers = {"Accept": "application/json"}
        if secret:
            headers[API_KEY_HEADER] = secret
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    async def _wallet(self, method: str, body: dict[str, object]) -> dict[str, Any]:
        return await self._request(
            "POST", f"/wallet/{method}", json_body={**body, "visible": True}
        )

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
        decoded = decode_json(response.content)
        if decoded is UNDECODABLE:
            detail = self._scrub(response.text)[:DETAIL_LIMIT]
            return _Failure(ChainBadAnswer("BAD_JSON", detail, http_status=status), False)
        if not isinstance(decoded, dict):
            return _Failure(ChainBadAnswer("BAD_RESPONSE", "not a JSON object"), False)
        # java-tron reports bad input as {"Error": "..."}; TronGrid v1 as success: false.
        if "Error" in decoded or decoded.get("success") is False:
            message = str(decoded.get("Error") or decoded.get("error") or "no reason given")
            node_error = ChainBadAnswer("NODE_ERROR", self._scrub(message)[:DETAIL_LIMIT])
            return _Failure(node_error, False)
        return decoded

    def _http_failure(self, response: httpx.Response) -> _Failure:
        status = response.status_code
        detail = self._scrub(response.text)[:DETAIL_LIMIT]
        if status in {429, 403}:
            wait = retry_after(response)
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
        return _Failure(unavailable, transient=status >= 500, wait=retry_after(response))

    def _scrub(self, text: str) -> str:
        """Never let the key into an exception, even if the node echoes it back."""
        return scrub(text, self._secret)


def _transport_failure(exc: httpx.RequestError) -> _Failure:
    fault = send_fault(exc)
    error_type = ChainTimeout if fault.timeout else ChainUnavailable
    error = error_type(fault.code, fault.name, outcome_unknown=fault.reached)
    return _Failure(error, transient=fault.transient)
