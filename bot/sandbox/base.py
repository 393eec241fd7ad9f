"""Plumbing shared by the provider simulators: HTTP server, routing, faults, clock, log.

A simulator subclasses `BaseSimulator`, lists its API routes and implements a few hooks
(authentication and rate limiting, error bodies, order state). This module handles the
rest, identically for every provider:

* a `ThreadingHTTPServer` on a daemon thread (`start()` / `stop()` / `with`);
* one lock around all state, so HTTP handlers and Python control calls never interleave;
* the request log with per-endpoint counters;
* fault injection ("delay", "error500", "drop");
* the simulated clock: advancing it moves every stored timestamp into the past, then runs
  the lifecycle rules, so a client on the real clock sees its orders as older;
* the `/_sim/...` control API (no auth) and the command-line runner.

Shared control routes (JSON in and out; a bad request gets 400 ``{"error": "..."}``):
``GET /_sim/state``, ``GET /_sim/requests``, ``POST /_sim/requests/clear``,
``GET|POST /_sim/config`` (body: settings to change), ``GET /_sim/faults``,
``POST /_sim/faults`` (``{"endpoint": name|"*", "mode", "seconds", "count": n|null}``),
``POST /_sim/faults/clear``, ``POST /_sim/clock/advance`` (``{"seconds"}``),
``POST /_sim/reset``. They mirror the thread-safe methods `state`, `request_log`,
`clear_requests`, `config`/`configure`, `faults`/`add_fault`/`clear_faults`,
`advance_clock` and `reset`.

Request pipeline for an API route: route lookup (404 hook) -> `_gate` (auth, rate limit)
-> "drop" fault -> handler -> "error500" fault -> "delay" fault (sleep after the commit,
outside the lock). Requests refused by `_gate` do not consume faults.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import secrets
import signal
import socketserver
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    Self,
    TypeVar,
    cast,
    get_args,
)
from urllib.parse import parse_qsl, urlsplit

from bot.tron_address import address_from_bytes

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

logger = logging.getLogger("bot.sandbox")

FaultMode = Literal["delay", "error500", "drop"]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)
ANY_ENDPOINT = "*"
UNKNOWN_ENDPOINT = "unknown"


# --------------------------------------------------------------------------------------
# Small helpers used by both simulators


def new_hex(nbytes: int) -> str:
    return secrets.token_hex(nbytes)


def new_txid() -> str:
    """An on-chain-looking transaction hash (64 hex characters)."""
    return secrets.token_hex(32)


def stable_hex(seed: str, nchars: int) -> str:
    """Hex characters that are stable for a given seed (account ids derived from a key)."""
    return hashlib.sha256(seed.encode()).hexdigest()[:nchars]


def derive_address(seed: str) -> str:
    """A valid TRON address that is stable for a given seed (e.g. API key + role)."""
    return address_from_bytes(hashlib.sha256(seed.encode()).digest()[:20])


def _json_default(value: object) -> object:
    # Decimal -> float is exact here: TRX amounts have <= 6 decimals and < 15 significant
    # digits, and float repr is the shortest round-trip text, so 4.26127 stays "4.26127".
    # Whole amounts come out as "4.0", i.e. always a JSON number with decimals.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dump_json(value: object) -> bytes:
    return json.dumps(value, default=_json_default, ensure_ascii=False).encode()


# Coercers for `configure()`: the HTTP control API hands over plain JSON values.


def as_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected an integer, got {value!r}")
    return int(value)


def as_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def as_optional_float(value: object) -> float | None:
    return None if value is None else as_float(value)


def as_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise TypeError(f"expected a decimal amount, got {value!r}")
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"expected a decimal amount, got {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"expected a decimal amount, got {value!r}")
    return result


def as_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def as_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def as_str_set(value: object) -> frozenset[str]:
    if not isinstance(value, list | tuple | set | frozenset):
        raise TypeError(f"expected a list of strings, got {value!r}")
    return frozenset(as_str(item) for item in value)


def as_optional_str_set(value: object) -> frozenset[str] | None:
    return None if value is None else as_str_set(value)


Coercer = Callable[[object], object]


def coerce_changes(
    changes: Mapping[str, object], coercers: Mapping[str, Coercer]
) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(coercers))
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
    return {name: coercers[name](value) for name, value in changes.items()}


def body_object(value: object) -> Mapping[str, Any]:
    """The control API takes JSON objects only; an empty body means `{}`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("the request body must be a JSON object")
    return cast(dict[str, Any], value)


# --------------------------------------------------------------------------------------
# Requests, responses, routes


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    target: str  # as sent, with the query string
    query: dict[str, str]  # first value of each parameter
    headers: dict[str, str]  # lower-case names
    body: bytes
    client_ip: str

    def json(self) -> object:
        """The parsed body; None for an empty body. Raises ValueError on malformed JSON."""
        if not self.body.strip():
            return None
        return cast(object, json.loads(self.body))


@dataclass(frozen=True)
class Response:
    status: int
    body: object
    headers: tuple[tuple[str, str], ...] = ()  # extra headers, e.g. Retry-After


class ApiError(Exception):
    """Raised by handlers to answer early with `response` (validation, business errors)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    endpoint: str  # the name used in the request log and in fault rules
    handler: Callable[[Request], Response]


@dataclass(frozen=True)
class ControlRoute:
    method: str
    path: str
    handler: Callable[[Mapping[str, Any]], object]


@dataclass
class Fault:
    endpoint: str
    mode: FaultMode
    seconds: float
    remaining: int | None  # None: every matching request until cleared

    def as_json(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "mode": self.mode,
            "seconds": self.seconds,
            "count": self.remaining,
        }


class WindowLimiter:
    """At most `limit` accepted requests per key in any `window` seconds.

    Refused requests are not recorded, so a client hammering the server is not punished
    beyond the window. Runs on the monotonic clock: the simulated clock never affects it.
    """

    def __init__(self) -> None:
        self._accepted: dict[str, deque[float]] = {}

    def admit(self, key: str, limit: int, window: float) -> bool:
        if limit <= 0 or window <= 0:
            return True
        now = time.monotonic()
        accepted = self._accepted.setdefault(key, deque())
        while accepted and now - accepted[0] >= window:
            accepted.popleft()
        if len(accepted) >= limit:
            return False
        accepted.append(now)
        return True

    def clear(self) -> None:
        self._accepted.clear()


class RequestLog:
    def __init__(self, limit: int) -> None:
        self._entries: deque[dict[str, object]] = deque(maxlen=limit)
        self._counts: dict[str, int] = {}
        self._status_counts: dict[str, dict[str, int]] = {}
        self._rate_limited = 0

    def record(self, request: Request, endpoint: str, arrived_at: float) -> dict[str, object]:
        entry: dict[str, object] = {
            "time": arrived_at,
            "method": request.method,
            "path": request.target,
            "endpoint": endpoint,
            "status": None,
        }
        self._entries.append(entry)
        self._counts[endpoint] = self._counts.get(endpoint, 0) + 1
        return entry

    def finish(self, entry: dict[str, object], status: int) -> None:
        entry["status"] = status
        per_status = self._status_counts.setdefault(str(entry["endpoint"]), {})
        per_status[str(status)] = per_status.get(str(status), 0) + 1
        if status == 429:
            self._rate_limited += 1

    def snapshot(self) -> dict[str, object]:
        return {
            "entries": [dict(entry) for entry in self._entries],
            "counts": dict(self._counts),
            "status_counts": {name: dict(c) for name, c in self._status_counts.items()},
            "rate_limited": self._rate_limited,
            "total": sum(self._counts.values()),
        }


# --------------------------------------------------------------------------------------
# HTTP server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], simulator: BaseSimulator) -> None:
        self.simulator = simulator
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind() does a reverse DNS lookup (getfqdn), slow on some hosts.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: object, client_address: object) -> None:
        logger.exception("simulator handler failed for %s", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real servers
    # Headers and body go out in two writes; with Nagle on, delayed ACKs add ~40 ms each.
    disable_nagle_algorithm = True
    server: _Server

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the simulator's clock, which may be set off from ours.
        moment = self.server.simulator.now() if timestamp is None else timestamp
        return super().date_time_string(moment)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        query: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(name, value)
        request = Request(
            method=self.command,
            path=parts.path,
            target=self.path,
            query=query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            client_ip=str(self.client_address[0]),
        )
        response = self.server.simulator.handle(request)
        payload = dump_json(response.body)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. timed out during a "delay" fault): nothing to do.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        # Requests are logged by BaseSimulator.handle, with the endpoint name and status.
        pass


# --------------------------------------------------------------------------------------
# The simulator base class


class BaseSimulator(ABC):
    """Shared server plumbing; see the module docstring for the request pipeline."""

    #: Endpoint names accepted in fault rules (besides "*").
    endpoints: tuple[str, ...] = ()
    #: Every route, control routes included, is also served under each of these prefixes.
    path_prefixes: tuple[str, ...] = ("",)
    #: The level of the one log line per request (sandbox mode lowers it to DEBUG).
    request_log_level: int = logging.INFO

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, log_limit: int = 100_000):
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._log = RequestLog(log_limit)
        self._log_limit = log_limit
        self._faults: list[Fault] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[tuple[str, str], Route] = {}
        self._control: dict[tuple[str, str], ControlRoute] = {}

    def _register_routes(self) -> None:
        """Called by subclasses at the end of `__init__`, once their state exists."""
        for prefix in self.path_prefixes:
            for route in self._api_routes():
                self._routes[(route.method, prefix + route.path)] = route
            for control in (*self._base_control_routes(), *self._extra_control_routes()):
                self._control[(control.method, prefix + control.path)] = control

    # ---- running -----------------------------------------------------------------------

    def start(self) -> str:
        """Start serving on a daemon thread; returns the base URL (port 0 = a free port)."""
        if self._server is not None:
            return self.base_url
        self._stopping.clear()
        self._server = _Server((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-server",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes handlers sleeping in a "delay" fault
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    # ---- Python control API (thread-safe) ---------------------------------------------

    def now(self) -> float:
        """The server's clock. Simulated time moves stored timestamps, not this clock."""
        return time.time()

    def state(self) -> dict[str, object]:
        with self._lock:
            self._tick_locked()
            return self._state_locked()

    def request_log(self) -> dict[str, object]:
        with self._lock:
            return self._log.snapshot()

    def clear_requests(self) -> None:
        with self._lock:
            self._log = RequestLog(self._log_limit)

    def configure(self, **changes: object) -> dict[str, object]:
        """Change settings at run time; returns the full configuration afterwards."""
        with self._lock:
            self._tick_locked()  # rules due under the old settings happen first
            self._configure_locked(changes)
            self._tick_locked()
            return self._config_locked()

    def config(self) -> dict[str, object]:
        with self._lock:
            return self._config_locked()

    def add_fault(
        self, endpoint: str, mode: str, seconds: float = 0.0, count: int | None = 1
    ) -> list[dict[str, object]]:
        """Make the next `count` requests to `endpoint` ("*" = any) misbehave."""
        if endpoint != ANY_ENDPOINT and endpoint not in self.endpoints:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {', '.join(self.endpoints)}")
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)}")
        if seconds < 0 or (count is not None and count < 1):
            raise ValueError("seconds must be >= 0 and count >= 1 (or null for unlimited)")
        with self._lock:
            self._faults.append(Fault(endpoint, cast(FaultMode, mode), seconds, count))
            return [fault.as_json() for fault in self._faults]

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def faults(self) -> list[dict[str, object]]:
        with self._lock:
            return [fault.as_json() for fault in self._faults]

    def advance_clock(self, seconds: float) -> None:
        """Age everything by `seconds`, then apply the lifecycle rules now due."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._tick_locked()  # what was due before the jump happens at its own time
            self._shift_locked(seconds)
            self._tick_locked()

    def reset(self) -> None:
        """Back to the state right after construction: settings, balance, orders, log."""
        with self._lock:
            self._faults.clear()
            self._log = RequestLog(self._log_limit)
            self._reset_locked()

    # ---- request handling ---------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one HTTP request (called on the server's handler threads)."""
        if any(request.path.startswith(f"{prefix}/_sim/") for prefix in self.path_prefixes):
            return self._handle_control(request)
        arrived_at = time.time()
        route = self._routes.get((request.method, request.path))
        delay = 0.0
        with self._lock:
            entry = self._log.record(
                request, route.endpoint if route else UNKNOWN_ENDPOINT, arrived_at
            )
            if route is None:
                response = self._not_found(request)
            else:
                response, delay = self._run_route(route, request)
            self._log.finish(entry, response.status)
        logger.log(
            self.request_log_level,
            "%s %s -> %d (%s)",
            request.method,
            request.target,
            response.status,
            entry["endpoint"],
        )
        if delay > 0:
            # The work is committed; only the answer is late, as with a slow network.
            self._stopping.wait(delay)
        return response

    def _run_route(self, route: Route, request: Request) -> tuple[Response, float]:
        self._tick_locked()
        refusal = self._gate(request, route)
        if refusal is not None:
            return refusal, 0.0
        fault = self._take_fault(route.endpoint)
        if fault is not None and fault.mode == "drop":
            return self._fault_response(route), 0.0
        try:
            response = route.handler(request)
        except ApiError as exc:
            response = exc.response
        except Exception:  # a simulator bug must not kill the handler thread silently
            logger.exception("simulator route %s failed", route.endpoint)
            response = self._fault_response(route)
        if fault is not None and fault.mode == "error500":
            return self._fault_response(route), 0.0
        return response, fault.seconds if fault is not None else 0.0

    def _take_fault(self, endpoint: str) -> Fault | None:
        for fault in self._faults:
            if fault.endpoint in (endpoint, ANY_ENDPOINT):
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def _handle_control(self, request: Request) -> Response:
        control = self._control.get((request.method, request.path))
        if control is None:
            return Response(404, {"error": f"no control route {request.method} {request.path}"})
        try:
            body = body_object(request.json())
            result = control.handler(body)
        except (ValueError, KeyError, TypeError) as exc:
            return Response(400, {"error": str(exc)})
        return Response(200, result if result is not None else {"ok": True})

    def _base_control_routes(self) -> list[ControlRoute]:
        def add_fault(body: Mapping[str, Any]) -> object:
            count = body.get("count", 1)
            return {
                "faults": self.add_fault(
                    as_str(body["endpoint"]),
                    as_str(body["mode"]),
                    as_float(body.get("seconds", 0.0)),
                    None if count is None else as_int(count),
                )
            }

        def advance(body: Mapping[str, Any]) -> object:
            seconds = as_float(body["seconds"])
            self.advance_clock(seconds)
            return {"advanced": seconds}

        return [
            ControlRoute("GET", "/_sim/state", lambda _: self.state()),
            ControlRoute("GET", "/_sim/requests", lambda _: self.request_log()),
            ControlRoute("POST", "/_sim/requests/clear", lambda _: self.clear_requests()),
            ControlRoute("GET", "/_sim/config", lambda _: self.config()),
            ControlRoute("POST", "/_sim/config", lambda body: self.configure(**body)),
            ControlRoute("GET", "/_sim/faults", lambda _: {"faults": self.faults()}),
            ControlRoute("POST", "/_sim/faults", add_fault),
            ControlRoute("POST", "/_sim/faults/clear", lambda _: self.clear_faults()),
            ControlRoute("POST", "/_sim/clock/advance", advance),
            ControlRoute("POST", "/_sim/reset", lambda _: self.reset()),
        ]

    # ---- hooks for the concrete simulators --------------------------------------------

    @abstractmethod
    def _api_routes(self) -> Iterable[Route]: ...

    def _extra_control_routes(self) -> Iterable[ControlRoute]:
        return ()

    @abstractmethod
    def _gate(self, request: Request, route: Route) -> Response | None:
        """Authentication and rate limiting; a Response refuses the request."""

    @abstractmethod
    def _not_found(self, request: Request) -> Response: ...

    @abstractmethod
    def _fault_response(self, route: Route) -> Response:
        """The body of a simulated 500."""

    @abstractmethod
    def _state_locked(self) -> dict[str, object]: ...

    @abstractmethod
    def _config_locked(self) -> dict[str, object]: ...

    @abstractmethod
    def _configure_locked(self, changes: Mapping[str, object]) -> None: ...

    @abstractmethod
    def _shift_locked(self, seconds: float) -> None:
        """Move every stored timestamp `seconds` into the past."""

    @abstractmethod
    def _tick_locked(self) -> None:
        """Apply the lifecycle rules due by now (auto-match, expiry, rental end, ...)."""

    @abstractmethod
    def _reset_locked(self) -> None: ...


class _Shiftable(Protocol):
    def shift(self, seconds: float) -> None: ...


SettingsT = TypeVar("SettingsT", bound="DataclassInstance")
BalanceT = TypeVar("BalanceT", int, Decimal)
OrderT = TypeVar("OrderT", bound=_Shiftable)


class OrderBookSimulator(BaseSimulator, Generic[SettingsT, BalanceT, OrderT]):
    """What both simulators keep alike: frozen settings changed at run time through
    `coercers`, a balance, the orders (all, and those whose lifecycle still runs)."""

    coercers: ClassVar[Mapping[str, Coercer]]

    def __init__(self, settings: SettingsT, balance: BalanceT, *, host: str, port: int) -> None:
        super().__init__(host=host, port=port)
        self._initial: SettingsT = settings
        self._settings: SettingsT = settings
        self._initial_balance: BalanceT = balance
        self._balance: BalanceT = balance
        self._orders: dict[str, OrderT] = {}  # creation order
        self._open: dict[str, OrderT] = {}  # lifecycle rules still apply
        self._limiter = WindowLimiter()

    @abstractmethod
    def _order_json(self, order: OrderT) -> dict[str, object]: ...

    def _state_locked(self) -> dict[str, object]:
        return {
            "balance": self._balance,
            "orders": [self._order_json(order) for order in self._orders.values()],
            "config": self._config_locked(),
        }

    def _config_locked(self) -> dict[str, object]:
        settings = {f.name: getattr(self._settings, f.name) for f in fields(self._settings)}
        return {**settings, "balance": self._balance}

    def _configure_locked(self, changes: Mapping[str, object]) -> None:
        coerced = coerce_changes(changes, self.coercers)
        if "balance" in coerced:
            self._balance = coerced.pop("balance")
        self._settings = replace(self._settings, **coerced)

    def _shift_locked(self, seconds: float) -> None:
        for order in self._orders.values():
            order.shift(seconds)

    def _reset_locked(self) -> None:
        self._settings = self._initial
        self._balance = self._initial_balance
        self._orders.clear()
        self._open.clear()
        self._limiter.clear()


# --------------------------------------------------------------------------------------
# Command line


def cli_parser(description: str, default_port: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=default_port, help="0 = any free port")
    parser.add_argument("--api-key", default="test-key", help="the one valid API key")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return parser


def serve(simulator: BaseSimulator, log_level: str) -> None:
    """Run until Ctrl-C or SIGTERM, logging each request to stderr."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(message)s")
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    url = simulator.start()
    logger.info("%s listening on %s (control API: %s/_sim/)", type(simulator).__name__, url, url)
    while not done.wait(0.5):
        pass
    simulator.stop()
