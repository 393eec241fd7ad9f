"""What the benchmark measures with, and the arithmetic on it.

The instruments sit outside the bot: the TronSave simulator notes each tracking request,
the Bot API stand-in notes when each message reached it (and when a chat first saw a
Confirm button or a push) and enforces Telegram's send limits, and the bot's own cycle
records come from its log (see `botproc`). Times are wall-clock seconds (time.time()).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.sandbox.base import Request, Response
from bot.sandbox.tronsave import TronSaveSimulator
from testkit.fake_bot_api import buttons
from testkit.telegram_limits import TelegramLimits
from testkit.telegram_server import FakeTelegramServer
from testkit.updates import JSONDict

PUSH_MARK = "Energy delivered"  # the matched push, first line (English catalog)
CONFIRM_LABEL = "Confirm"  # the summary's button
_SENDS = ("sendmessage", "editmessagetext", "editmessagereplymarkup")


@dataclass(frozen=True)
class Hit:
    at: float
    status: int
    ids: int  # order ids the request asked about


class BenchTronSave(TronSaveSimulator):
    """The TronSave simulator, noting every tracking request (time, status, ids)."""

    TRACK_PATH = "/v0/fast-charge-order-tracking"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hits_lock = threading.Lock()
        self._hits: list[Hit] = []

    def handle(self, request: Request) -> Response:
        at = time.time()
        response = super().handle(request)
        if request.path == self.TRACK_PATH:
            ids = 0
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                body = request.json()
                ids = len(body.get("order_ids") or []) if isinstance(body, dict) else 0
            with self._hits_lock:
                self._hits.append(Hit(at, response.status, ids))
        return response

    def tracking(self) -> list[Hit]:
        with self._hits_lock:
            return list(self._hits)

    def rate_limited(self) -> int:
        """429s the simulator answered (every endpoint)."""
        value = self.request_log().get("rate_limited", 0)
        return value if isinstance(value, int) else 0


class TimedTelegram(FakeTelegramServer):
    """The Bot API stand-in with Telegram's send limits on, noting when each accepted
    message arrived, and per chat the first Confirm button and the first push."""

    def __init__(self, token: str, limits: TelegramLimits | None = None) -> None:
        super().__init__(token, limits=limits if limits is not None else TelegramLimits())
        self._stamps_lock = threading.Lock()
        self._sent: list[float] = []
        self._confirm_at: dict[int, float] = {}
        self._push_at: dict[int, float] = {}

    def dispatch(
        self, path: str, content_type: str, body: bytes, query: str = ""
    ) -> tuple[int, JSONDict]:
        status, payload = super().dispatch(path, content_type, body, query)
        method = path.lower().rstrip("/").rsplit("/", 1)[-1]
        if status != 200 or method not in _SENDS:
            return status, payload
        at = time.time()
        result = payload.get("result")
        message = result if isinstance(result, dict) else {}
        chat = message.get("chat")
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        text = str(message.get("text") or "")
        labels = [str(b.get("text", "")) for b in buttons(message.get("reply_markup"))]
        with self._stamps_lock:
            if method == "sendmessage":
                self._sent.append(at)
            if isinstance(chat_id, int):
                if any(CONFIRM_LABEL in label for label in labels):
                    self._confirm_at.setdefault(chat_id, at)
                if PUSH_MARK in text:
                    self._push_at.setdefault(chat_id, at)
        return status, payload

    def sent_times(self) -> list[float]:
        with self._stamps_lock:
            return sorted(self._sent)

    def confirm_times(self) -> dict[int, float]:
        with self._stamps_lock:
            return dict(self._confirm_at)

    def push_times(self) -> dict[int, float]:
        with self._stamps_lock:
            return dict(self._push_at)


@dataclass(frozen=True)
class Latencies:
    """Per-chat waits; chats still waiting when the run stopped count as `censored_at`
    (so a percentile that falls on them is a lower bound, printed as "> ...")."""

    values: tuple[float, ...]  # measured, sorted
    missing: int  # chats that never got theirs within the run
    censored_at: float

    @classmethod
    def of(cls, waits: Sequence[float], total: int, censored_at: float) -> Latencies:
        return cls(tuple(sorted(waits)), total - len(waits), censored_at)

    @property
    def total(self) -> int:
        return len(self.values) + self.missing

    def percentile(self, p: float) -> Bound | None:
        """Nearest-rank percentile; None without any chat."""
        if self.total == 0:
            return None
        rank = max(1, math.ceil(p / 100 * self.total))
        if rank <= len(self.values):
            return Bound(self.values[rank - 1], exact=True)
        return Bound(self.censored_at, exact=False)


@dataclass(frozen=True)
class Bound:
    """A measured value, or (exact=False) a lower bound: the value is above it."""

    value: float
    exact: bool = True


def rolling_max(times: Sequence[float], window: float = 1.0) -> int:
    """The most events inside any `window` seconds (a rolling window)."""
    ordered = sorted(times)
    best = start = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def mean_rate(times: Sequence[float]) -> float | None:
    """Events per second from the first to the last one."""
    if len(times) < 2 or max(times) == min(times):
        return None
    return (len(times) - 1) / (max(times) - min(times))
