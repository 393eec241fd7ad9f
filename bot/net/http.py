"""Reading answers and failures of an HTTP API: bodies, keys, waits, transport errors.

Each client maps these neutral facts to its own typed errors; what a failure means for
a write (may it have happened?) stays the client's call.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

# How much of an answer's text goes into an exception or a log line.
DETAIL_LIMIT: Final = 300

# Failures that prove the request never left this process: nothing can have happened
# at the server.
NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

UNDECODABLE: Final = object()  # `decode_json`'s answer for a body that is not JSON

_NOT_SENT_CODES: Final[dict[type[httpx.RequestError], str]] = {
    httpx.ConnectError: "CONNECT_ERROR",
    httpx.ConnectTimeout: "CONNECT_TIMEOUT",
    httpx.PoolTimeout: "POOL_TIMEOUT",
}

_M = TypeVar("_M", bound=BaseModel)


def decode_json(content: bytes) -> object:
    """The body's JSON with every fraction as a `Decimal`, so no amount of money ever
    passes through a float; UNDECODABLE if it is not JSON."""
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return UNDECODABLE


def scrub(text: str, secret: str) -> str:
    """Server text goes into exceptions and logs: never let it carry the key, even if
    the server echoes it back."""
    return text.replace(secret, "***") if secret else text


def retry_after(response: httpx.Response, *, cap: float = math.inf) -> float | None:
    """The Retry-After header in seconds (at most `cap`); None when absent or given as an
    HTTP date (not read: the caller's backoff applies)."""
    raw = response.headers.get("Retry-After", "")
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return min(max(seconds, 0.0), cap) if math.isfinite(seconds) else None


@dataclass(frozen=True, slots=True)
class SendFault:
    """What a transport error says about a request."""

    code: str  # CONNECT_ERROR, CONNECT_TIMEOUT, POOL_TIMEOUT, TIMEOUT or NETWORK_ERROR
    name: str  # the exception's class name (not its text: short and predictable)
    reached: bool  # the request may have reached the server
    timeout: bool
    transient: bool  # worth asking again (for a request that may be repeated)


def send_fault(exc: httpx.RequestError) -> SendFault:
    name = type(exc).__name__
    timeout = isinstance(exc, httpx.TimeoutException)
    for kind in NOT_SENT:
        if isinstance(exc, kind):
            return SendFault(_NOT_SENT_CODES[kind], name, False, timeout, True)
    code = "TIMEOUT" if timeout else "NETWORK_ERROR"
    return SendFault(code, name, True, timeout, isinstance(exc, httpx.TransportError))


def validate(model: type[_M], raw: object, bad_answer: Callable[[str], Exception]) -> _M:
    """`raw` read as `model`; an answer that does not fit raises `bad_answer(detail)`,
    the detail naming the first field that failed (never the input: it may be secret)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise bad_answer(f"{where}: {first['msg']}"[:DETAIL_LIMIT]) from None


class ClosingClient:
    """A client owning an `httpx.AsyncClient` in `_http`: closed by `aclose()` or by
    leaving `async with`."""

    _http: httpx.AsyncClient

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
