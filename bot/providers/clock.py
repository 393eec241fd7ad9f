"""The provider's clock as seen from ours, measured from HTTP `Date` headers.

A `Date` header names the second in which the server produced the answer, and that moment
lies between our send and receive times. So one answer bounds the offset (provider clock
minus ours) to [date - received, date + 1 - sent]: one second plus the round trip wide.
Answers at different sub-second phases cut that interval down, so the estimate is the
intersection of the recent samples, widened by a drift allowance for their age.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

_SAMPLES = 64
_MAX_AGE = 1_800.0  # seconds; older samples say little about the clock now
_DRIFT = 1e-4  # 100 ppm: a badly disciplined quartz clock, the worst we allow for


@dataclass(frozen=True)
class OffsetBound:
    """Provider clock minus ours lies in [low, high] seconds."""

    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class _Sample:
    taken_at: float
    low: float
    high: float


def parse_http_date(value: str | None) -> float | None:
    """Seconds since the epoch from an RFC 9110 `Date` value; None if absent or malformed."""
    if not value:
        return None
    try:
        moment: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


class ClockOffset:
    """Bounds on the provider's clock offset from the answers seen recently."""

    def __init__(self) -> None:
        self._samples: deque[_Sample] = deque(maxlen=_SAMPLES)

    def add(self, *, sent_at: float, received_at: float, server_second: float) -> None:
        if received_at < sent_at:
            return  # our clock stepped back mid-request: the sample means nothing
        self._samples.append(
            _Sample(received_at, server_second - received_at, server_second + 1.0 - sent_at)
        )

    def bound(self, now: float) -> OffsetBound | None:
        """The tightest interval the recent samples agree on, or None without samples.

        If they do not agree (a clock was stepped), only the newest consistent run counts.
        """
        low, high = -float("inf"), float("inf")
        found = False
        for sample in reversed(self._samples):
            age = max(0.0, now - sample.taken_at)
            if age > _MAX_AGE:
                break
            slack = age * _DRIFT
            s_low, s_high = sample.low - slack, sample.high + slack
            if found and (s_low > high or s_high < low):
                break  # older than a clock step: ignore it and everything before it
            low, high = max(low, s_low), min(high, s_high)
            found = True
        return OffsetBound(low, high) if found else None
