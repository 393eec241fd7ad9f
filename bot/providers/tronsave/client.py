"""Typed async client for TronSave Fast Charge (`/v0/fast-charge-*`) and `GET /v2/user-info`.

Every request goes through the shared `Pacer` (one slot per endpoint per key, because the
docs give each Fast Charge endpoint its own 1 request / 2 s limit) and every failure comes
out as one of the typed errors in `bot.providers.errors`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from pydantic import SecretStr, ValidationError

from bot.net.http import DETAIL_LIMIT, UNDECODABLE, ClosingClient, decode_json, scrub
from bot.net.pacing import Pacer, key_fingerprint
from bot.providers.clock import ClockOffset, OffsetBound, parse_http_date
from bot.providers.errors import ProviderRateLimited, ProviderUnavailable, SendTiming
from bot.providers.tronsave.failures import (
    PROVIDER,
    Failure,
    bad_response,
    classify,
    code_word,
    parse,
    transport_failure,
)
from bot.providers.tronsave.models import (
    ActionResult,
    CancelBody,
    ConfirmBody,
    Estimate,
    HistoryOrder,
    HistoryPage,
    OrderIds,
    RawHistoryPage,
    TrackBody,
    TrackResult,
    UserInfo,
    UserInfoEnvelope,
)

log = logging.getLogger(__name__)

_PROBE_PAUSE = 60.0  # seconds between rounds of clock probes


# --- endpoints -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Endpoint:
    name: str
    method: str
    path: str
    # Repeating the request cannot change anything at the provider, so a transient failure
    # may be retried. False for create/confirm/cancel: a retry could buy or end twice.
    safe: bool


_ESTIMATE = _Endpoint("estimate", "POST", "/v0/fast-charge-estimate-order-request", safe=True)
_CREATE = _Endpoint("create", "POST", "/v0/fast-charge-order-request", safe=False)
_TRACK = _Endpoint("track", "POST", "/v0/fast-charge-order-tracking", safe=True)
_CONFIRM = _Endpoint("confirm", "POST", "/v0/fast-charge-order-confirmation", safe=False)
_CANCEL = _Endpoint("cancel", "POST", "/v0/fast-charge-order-cancel", safe=False)
_HISTORY = _Endpoint("history", "GET", "/v0/fast-charge-order-history", safe=True)
_USER_INFO = _Endpoint("user_info", "GET", "/v2/user-info", safe=True)

# --- client --------------------------------------------------------------------------------


class TronSaveClient(ClosingClient):
    provider = PROVIDER

    def __init__(
        self,
        *,
        api_key: SecretStr,
        base_url: str,
        pacer: Pacer,
        info_pacer: Pacer | None = None,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = 3,
        backoff: Callable[[int], float] = lambda attempt: float(2**attempt),
        clock: Callable[[], float] = time.time,
    ) -> None:
        secret = api_key.get_secret_value()
        self.key_id = key_fingerprint(secret)
        self._secret = secret
        self._pacer = pacer
        # `/v2/user-info` has its own limit (15 requests/s), not the Fast Charge one.
        self._info_pacer = info_pacer or pacer
        self._max_retries = max_retries
        self._backoff = backoff
        self._clock = clock
        self._timeout = timeout
        # Every answer's Date header measures the provider's clock against ours.
        self._offset = ClockOffset()
        self._rtt = 0.0  # the last round trip, to aim clock probes
        self._probed_at = -math.inf
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"apikey": secret, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )

    @property
    def timeout(self) -> float:
        return self._timeout

    @property
    def create_interval(self) -> float:
        """Seconds between two create calls of this key (the Fast Charge pace)."""
        return self._pacer.min_interval

    def _pacer_of(self, endpoint: _Endpoint) -> Pacer:
        return self._info_pacer if endpoint is _USER_INFO else self._pacer

    def clock_offset(self) -> OffsetBound | None:
        """Provider clock minus ours, as bounded by the recent answers' Date headers."""
        return self._offset.bound(self._clock())

    async def measure_clock(self, *, target_width: float, max_probes: int = 8) -> None:
        """Narrow the clock offset bound with cheap reads timed to land on a second
        boundary of the provider's clock (as currently estimated): each such answer halves
        the bound, down to about the round trip. Failed probes are only logged; a round
        that could not get there is not repeated for a minute (the samples stay)."""
        now = self._clock()
        if now - self._probed_at < _PROBE_PAUSE:
            return
        self._probed_at = now
        for _ in range(max_probes):
            bound = self.clock_offset()
            if bound is not None and bound.width <= target_width + self._rtt:
                self._probed_at = -math.inf  # reached: check again whenever asked
                return
            slot = f"{PROVIDER}:{self.key_id}:{_USER_INFO.name}"
            async with self._info_pacer.slot(slot):
                if bound is not None:
                    await asyncio.sleep(self._phase_wait(bound))
                outcome = await self._send_once(_USER_INFO, None, None, 0)
            if isinstance(outcome, Failure):
                log.info(
                    "tronsave clock probe failed: %s (key %s)", outcome.error.code, self.key_id
                )
                return

    def _phase_wait(self, bound: OffsetBound) -> float:
        """Seconds to wait so the server reads its clock at a whole second, if the offset
        is the middle of the bound."""
        middle = (bound.low + bound.high) / 2
        arrive = self._clock() + self._rtt / 2 + middle  # provider time if sent now
        return (math.ceil(arrive) - arrive) % 1.0

    # --- public calls ---

    async def estimate(
        self, *, amount: int, duration_sec: int, max_price: int, receiver_count: int
    ) -> Estimate:
        body = {
            "receiver_count": receiver_count,
            "amount": amount,
            "max_price_accept": max_price,
            "resource_type": "ENERGY",
            "duration_sec": duration_sec,
        }
        return parse(Estimate, await self._request(_ESTIMATE, body=body))

    async def create_order(
        self,
        *,
        amount: int,
        duration_sec: int,
        max_price: int,
        receivers: Sequence[str],
        deadline_sec: int,
    ) -> list[str]:
        body = {
            "amount": amount,
            "duration_sec": duration_sec,
            "max_price_accept": max_price,
            "receivers": list(receivers),
            "deadline": deadline_sec,
        }
        floor = self._clock()  # before any pacing wait: a lower bound of the send time
        raw = await self._request(_CREATE, body=body)
        try:
            order_ids = parse(OrderIds, raw).order_ids
        except ProviderUnavailable as exc:
            # A 2xx we cannot read: the orders may exist; say when they could have been made.
            exc.timing = self._timing(floor, self._clock(), answered=True)
            raise
        if len(order_ids) != len(receivers):
            # One id per receiver is only inferred from the docs; the caller reconciles.
            log.warning(
                "tronsave create returned %d order ids for %d receivers (key %s)",
                len(order_ids),
                len(receivers),
                self.key_id,
            )
        return order_ids

    async def track(self, order_ids: Sequence[str]) -> list[TrackResult]:
        if not order_ids:
            return []
        raw = await self._request(_TRACK, body={"order_ids": list(order_ids)})
        return parse(TrackBody, raw).results

    async def confirm(self, order_ids: Sequence[str]) -> list[ActionResult]:
        if not order_ids:
            return []
        raw = await self._request(_CONFIRM, body={"order_ids": list(order_ids)})
        return parse(ConfirmBody, raw).confirmation_results

    async def cancel(self, order_ids: Sequence[str]) -> list[ActionResult]:
        if not order_ids:
            return []
        raw = await self._request(_CANCEL, body={"order_ids": list(order_ids)})
        return parse(CancelBody, raw).cancel_results

    async def history(
        self, *, from_ms: int, to_ms: int, page: int = 0, page_size: int = 50
    ) -> HistoryPage:
        params = {"from": from_ms, "to": to_ms, "page": page, "pageSize": page_size}
        raw = parse(RawHistoryPage, await self._request(_HISTORY, params=params))
        rows: list[HistoryOrder] = []
        for item in raw.results:
            try:
                rows.append(HistoryOrder.model_validate(item))
            except ValidationError:
                log.warning("tronsave history row unreadable (key %s)", self.key_id)
        return HistoryPage(total=raw.total, results=rows, unreadable=len(raw.results) - len(rows))

    async def user_info(self) -> UserInfo:
        return parse(UserInfoEnvelope, await self._request(_USER_INFO)).data

    # --- transport ---

    async def _request(
        self,
        endpoint: _Endpoint,
        *,
        body: dict[str, object] | None = None,
        params: dict[str, int] | None = None,
    ) -> object:
        """Send with pacing and, for safe endpoints, retries; return the decoded 2xx body."""
        slot = f"{PROVIDER}:{self.key_id}:{endpoint.name}"
        pacer = self._pacer_of(endpoint)
        attempt = 0
        while True:
            async with pacer.slot(slot):
                # Taken inside the slot, after any wait: the moment the request goes out.
                sent_at = self._clock()
                outcome = await self._send_once(endpoint, body, params, attempt)
                failed_at = self._clock()
            if not isinstance(outcome, Failure):
                return outcome
            error = outcome.error
            error.timing = self._timing(sent_at, failed_at, answered=outcome.answered)
            rate_limited = isinstance(error, ProviderRateLimited)
            retry = endpoint.safe and outcome.transient and attempt < self._max_retries
            delay = self._backoff(attempt)
            if rate_limited or retry:
                # After the slot is left (leaving a held slot resets the key's next time);
                # the pacer then makes every caller of this endpoint wait, not just this one.
                pacer.push_back(slot, delay)
            if rate_limited:
                log.info("tronsave %s rate limited (key %s)", endpoint.name, self.key_id)
            if not retry:
                raise error
            attempt += 1
            log.warning(
                "tronsave %s failed with %s; retry %d/%d in %.1fs (key %s)",
                endpoint.name,
                error.code,
                attempt,
                self._max_retries,
                delay,
                self.key_id,
            )

    async def _send_once(
        self,
        endpoint: _Endpoint,
        body: dict[str, object] | None,
        params: dict[str, int] | None,
        attempt: int,
    ) -> object | Failure:
        started = time.monotonic()
        try:
            response = await self._http.request(
                endpoint.method, endpoint.path, json=body, params=params
            )
        except httpx.RequestError as exc:
            log.debug(
                "tronsave %s %s -> %s after %.3fs (attempt %d, key %s)",
                endpoint.method,
                endpoint.name,
                type(exc).__name__,
                time.monotonic() - started,
                attempt,
                self.key_id,
            )
            return transport_failure(exc)
        log.debug(
            "tronsave %s %s -> %d in %.3fs (attempt %d, key %s)",
            endpoint.method,
            endpoint.name,
            response.status_code,
            time.monotonic() - started,
            attempt,
            self.key_id,
        )
        self._measure_clock(response, sent_started=started)
        return self._read(response, endpoint)

    def _measure_clock(self, response: httpx.Response, *, sent_started: float) -> None:
        server_second = parse_http_date(response.headers.get("date"))
        if server_second is None:
            return
        received_at = self._clock()
        elapsed = max(0.0, time.monotonic() - sent_started)
        self._rtt = elapsed
        # Send time on the wall clock, from the monotonic duration: immune to a clock step.
        self._offset.add(
            sent_at=received_at - elapsed, received_at=received_at, server_second=server_second
        )

    def _timing(self, sent_at: float, failed_at: float, *, answered: bool) -> SendTiming:
        # With no answer the server may still be working on the request: allow it one more
        # timeout's worth (it cannot have waited longer than we did before starting).
        answer_by = failed_at if answered else failed_at + self._timeout
        bound = self._offset.bound(failed_at)
        return SendTiming(
            sent_at=sent_at,
            answer_by=answer_by,
            offset_low=bound.low if bound else None,
            offset_high=bound.high if bound else None,
        )

    def _read(self, response: httpx.Response, endpoint: _Endpoint) -> object | Failure:
        decoded = decode_json(response.content)
        if not response.is_success:
            return self._http_failure(response, decoded, endpoint)
        if decoded is UNDECODABLE:
            return Failure(bad_response("body is not JSON", response.status_code), False)
        if isinstance(decoded, dict) and decoded.get("error") is True:
            # v2 envelope reporting an error with a 2xx status.
            return self._http_failure(response, decoded, endpoint)
        return decoded

    def _http_failure(
        self, response: httpx.Response, decoded: object, endpoint: _Endpoint
    ) -> Failure:
        status = response.status_code
        text = scrub(response.text, self._secret)
        body = decoded if isinstance(decoded, dict) else {}
        message = body.get("message")
        detail = scrub(message if isinstance(message, str) else text, self._secret)
        return classify(status, body, detail[:DETAIL_LIMIT], code_word(text), safe=endpoint.safe)
