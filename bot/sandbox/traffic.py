"""What the simulators record and refuse: the request log, injected faults, rate windows."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Literal, get_args

from bot.sandbox.server import Request

FaultMode = Literal["delay", "error500", "drop"]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)
ANY_ENDPOINT = "*"
UNKNOWN_ENDPOINT = "unknown"


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
