"""Plumbing shared by the simulators: routing, faults, clock, log, run-time settings.

A simulator subclasses `BaseSimulator`, lists its API routes and implements a few hooks
(authentication and rate limiting, error bodies, order state). This module handles the
rest, identically for every provider:

* a `ThreadingHTTPServer` on a daemon thread (`start()` / `stop()` / `with`; the HTTP side
  is in `bot.sandbox.server`);
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

The one lock, the request pipeline and the control API it guards are kept together here;
the HTTP server is in `bot.sandbox.server`, fault rules and the request log in
`bot.sandbox.traffic`, settings (`bot.sandbox.configured.ConfiguredSimulator`) and the
command line (`bot.sandbox.cli`) in their own modules.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, Self, cast

from bot.sandbox.server import ApiError, ControlRoute, Request, Response, Route, Server
from bot.sandbox.traffic import (
    ANY_ENDPOINT,
    FAULT_MODES,
    UNKNOWN_ENDPOINT,
    Fault,
    FaultMode,
    RequestLog,
)
from bot.sandbox.values import as_float, as_int, as_str, body_object, derive_address

# Re-exported: tests and benchmarks build requests and addresses through this module.
__all__ = [
    "BaseSimulator",
    "Request",
    "Response",
    "derive_address",
]

logger = logging.getLogger("bot.sandbox")


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
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[tuple[str, str], Route] = {}
        self._control: dict[tuple[str, str], ControlRoute] = {}

    def _register_routes(self) -> None:
        """Called at the end of `__init__`, once the subclass's state exists."""
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
        self._server = Server((self._host, self._port), self)
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
