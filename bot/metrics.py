"""Prometheus metrics for the operator's monitoring, served on an opt-in port.

Two kinds of numbers:

- Counted as they happen: each provider HTTP request's latency (to its response headers)
  and outcome, measured by :class:`ObservedTransport`, a wrapper around the transport the
  provider clients are built with, so the clients themselves stay untouched.
- Read from the database at scrape time (:class:`DatabaseCollector`): orders by provider
  and state, the outbox's depth (unsent and parked notices) and push latency (a notice's
  ``sent_at - created_at``) over the last hour. Each scrape opens its own read-only SQLite
  connection (WAL lets it read beside the bot) and runs a few aggregate queries, so a
  scrape never waits on the bot's event loop and the bot never pays for metrics it is
  not asked for.

No Telegram import here: the composition root wires it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from pathlib import Path
from typing import Final
from wsgiref.simple_server import WSGIServer

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.domain import OrderState, ProviderName

log = logging.getLogger(__name__)

PREFIX: Final = "tron_energy_bot"
PUSH_WINDOW_SECONDS: Final = 3600.0
# Provider answers take tens of milliseconds to seconds; a paced request waits its turn
# before it is sent, so the wait is not part of this number.
_LATENCY_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_QUANTILES: Final = (0.5, 0.9, 0.99)


class Metrics:
    """One process's metrics, in their own registry (never the global one, so tests can
    build as many as they like)."""

    def __init__(self, database: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        self.provider_latency = Histogram(
            f"{PREFIX}_provider_request_seconds",
            "Provider HTTP requests: seconds until the response headers arrived.",
            ["provider"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.provider_requests = Counter(
            f"{PREFIX}_provider_requests",
            "Provider HTTP requests by outcome (2xx, 4xx, 5xx, timeout, error).",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self.provider_errors = Counter(
            f"{PREFIX}_provider_errors",
            "Provider HTTP requests that failed: an error status, a timeout or no answer.",
            ["provider", "kind"],
            registry=self.registry,
        )
        self.registry.register(DatabaseCollector(database, clock=clock))

    def observe(self, provider: str, seconds: float, outcome: str) -> None:
        self.provider_latency.labels(provider).observe(seconds)
        self.provider_requests.labels(provider, outcome).inc()
        if outcome not in ("2xx", "3xx"):
            self.provider_errors.labels(provider, outcome).inc()

    def instrument(
        self, transports: Mapping[ProviderName, httpx.AsyncBaseTransport] | None = None
    ) -> dict[ProviderName, httpx.AsyncBaseTransport]:
        """A measured transport for every provider, around the given one (or httpx's
        default): pass it as `build_application(transports=...)`."""
        given = transports or {}
        return {
            name: ObservedTransport(given.get(name) or httpx.AsyncHTTPTransport(), name, self)
            for name in ProviderName
        }


class ObservedTransport(httpx.AsyncBaseTransport):
    """Times each request the inner transport sends and counts how it ended."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, provider: ProviderName, metrics: Metrics
    ) -> None:
        self._inner = inner
        self._provider = provider.value
        self._metrics = metrics

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TimeoutException:
            self._metrics.observe(self._provider, time.perf_counter() - started, "timeout")
            raise
        except httpx.TransportError:
            self._metrics.observe(self._provider, time.perf_counter() - started, "error")
            raise
        outcome = f"{response.status_code // 100}xx"
        self._metrics.observe(self._provider, time.perf_counter() - started, outcome)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class DatabaseCollector(Collector):
    """Numbers read from the bot's database at each scrape."""

    def __init__(self, database: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._database = database
        self._clock = clock

    def describe(self) -> Iterable[Metric]:
        return ()  # registering must not open the database

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            f"{PREFIX}_database_readable", "1 if the scrape could read the database."
        )
        try:
            families = self._read()
        except sqlite3.Error as exc:
            log.warning("metrics: cannot read the database %s: %s", self._database, exc)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *families]

    def _read(self) -> list[Metric]:
        uri = f"file:{self._database}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True, timeout=2.0)) as db:
            counts = db.execute(
                "SELECT provider, state, COUNT(*) FROM orders GROUP BY provider, state"
            ).fetchall()
            unsent, parked = db.execute(
                "SELECT COALESCE(SUM(sent_at IS NULL AND dropped IS NULL), 0),"
                " COALESCE(SUM(failed_at IS NOT NULL), 0) FROM outbox"
            ).fetchone()
            since = self._clock() - PUSH_WINDOW_SECONDS
            latencies = [
                float(row[0])
                for row in db.execute(
                    "SELECT MAX(sent_at - created_at, 0) FROM outbox"
                    " WHERE sent_at >= ? ORDER BY 1",
                    (since,),
                )
            ]
        return [_orders(counts), _outbox(unsent, parked), *_push_latency(latencies)]


def _orders(counts: Iterable[tuple[str, str, int]]) -> Metric:
    family = GaugeMetricFamily(
        f"{PREFIX}_orders",
        "Orders in the database by provider and state.",
        labels=["provider", "state"],
    )
    # Every provider and state, zeros included, so a dashboard's series never vanish.
    found = {(provider, state): n for provider, state, n in counts}
    keys = {(p.value, s.value) for p in ProviderName for s in OrderState} | set(found)
    for provider, state in sorted(keys):
        family.add_metric([provider, state], found.get((provider, state), 0))
    return family


def _outbox(unsent: int, parked: int) -> Metric:
    family = GaugeMetricFamily(
        f"{PREFIX}_outbox_notices",
        "Notices in the outbox: unsent (still to go out) and parked (given up on).",
        labels=["status"],
    )
    family.add_metric(["unsent"], unsent)
    family.add_metric(["parked"], parked)
    return family


def _push_latency(latencies: list[float]) -> list[Metric]:
    """Quantiles of creation-to-send time of the notices sent in the last hour."""
    window = f"{PUSH_WINDOW_SECONDS:.0f}s"
    sent = GaugeMetricFamily(
        f"{PREFIX}_pushes_sent_recent", f"Notices sent in the last {window}.", labels=[]
    )
    sent.add_metric([], len(latencies))
    quantiles = GaugeMetricFamily(
        f"{PREFIX}_push_latency_seconds",
        f"Seconds from a notice's creation to its send, over the last {window}.",
        labels=["quantile"],
    )
    if latencies:  # sorted by the query
        for q in _QUANTILES:
            index = min(len(latencies) - 1, int(q * len(latencies)))
            quantiles.add_metric([str(q)], latencies[index])
        quantiles.add_metric(["1"], latencies[-1])
    return [sent, quantiles]


class MetricsServer:
    """The HTTP endpoint Prometheus scrapes, on its own thread (prometheus-client's)."""

    def __init__(self, metrics: Metrics, *, listen: str, port: int) -> None:
        self._metrics = metrics
        self._listen = listen
        self._port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server, self._thread = start_http_server(
            self._port, addr=self._listen, registry=self._metrics.registry
        )
        log.info("metrics on http://%s:%d/metrics", self._listen, self._port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
