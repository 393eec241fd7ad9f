"""The simulators' HTTP face: requests, responses, routes and the threaded server.

A simulator (anything with `handle(request)` and `now()`) answers every request; this
module only turns HTTP into `Request` values and `Response` values back into HTTP.
"""

from __future__ import annotations

import json
import logging
import socketserver
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast
from urllib.parse import parse_qsl, urlsplit

from bot.sandbox.values import dump_json

logger = logging.getLogger("bot.sandbox")


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


class Served(Protocol):
    """What the server needs of a simulator."""

    def handle(self, request: Request) -> Response: ...

    def now(self) -> float: ...


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], simulator: Served) -> None:
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
    server: Server

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
