"""Feee's rental lengths: which it serves and the exact fields each is sent as."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

UNIT_SECONDS: Final = {"m": 60, "h": 3600, "d": 86400}
FIVE_MINUTE_SECONDS: Final = 300  # v3 orders are fixed at five minutes
MIN_RENT_SECONDS: Final = 600  # v2 floor: the official example sends exactly 600
MAX_RENT_SECONDS: Final = 30 * 86400  # unit `d` allows 1-30; assumed to cap seconds too


class UnsupportedDuration(ValueError):
    """A duration Feee cannot rent. `reason` is a machine code, never prose."""

    def __init__(self, reason: str, seconds: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.seconds = seconds


def _unit_pair_ok(rent_duration: int, unit: str) -> bool:
    """The documented `rent_duration`/`rent_time_unit` pairs: d 1-30, h 1 or 3, m 10."""
    if unit == "d":
        return 1 <= rent_duration <= 30
    if unit == "h":
        return rent_duration in (1, 3)
    if unit == "m":
        return rent_duration == 10
    return False


@dataclass(frozen=True)
class FeeeDuration:
    """A rental length Feee serves, in the exact fields it is sent as.

    Forms (reference §2.4 A/B):
    - five_minute: the cheaper v3 endpoints, fixed 300 s; stored as (5, "m", 0), none of
      which is sent.
    - unit form, `rent_time_second == 0`: 10 m, 1 h, 3 h or 1-30 d. Preferred whenever
      the length has one: these pairs are plainly documented, while seconds values may
      be limited by a per-key allowed list nobody has seen ([U]).
    - seconds form, `rent_time_second` > 0: any other length of 600 s .. 30 d that is a
      multiple of 3 (Feee's rule). The docs say a valid value overrides the unit pair, so
      (1, "h") is sent beside it as in the official example; `FeeeClient.price` refuses
      a quote that echoes a different length, in case Feee silently fell back to it.

    Construction validates, so an instance is always something Feee accepts.
    """

    rent_duration: int
    rent_time_unit: str
    rent_time_second: int
    five_minute: bool = False

    FIVE_MINUTES: ClassVar[FeeeDuration]

    def __post_init__(self) -> None:
        if self.five_minute:
            if (self.rent_duration, self.rent_time_unit, self.rent_time_second) != (5, "m", 0):
                raise UnsupportedDuration("bad_five_minute_form")
            return
        if not _unit_pair_ok(self.rent_duration, self.rent_time_unit):
            raise UnsupportedDuration("bad_unit")
        if self.rent_time_second:
            _check_seconds_form(self.rent_time_second)

    @property
    def seconds(self) -> int:
        if self.rent_time_second:
            return self.rent_time_second
        return self.rent_duration * UNIT_SECONDS[self.rent_time_unit]

    @classmethod
    def from_seconds(cls, seconds: int) -> FeeeDuration:
        """The exact Feee form of `seconds`; never rounds, raises UnsupportedDuration."""
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise UnsupportedDuration("not_int")
        if seconds <= 0:
            raise UnsupportedDuration("not_positive", seconds)
        if seconds == FIVE_MINUTE_SECONDS:
            return cls.FIVE_MINUTES
        if seconds == 600:
            return cls(10, "m", 0)
        if seconds in (3600, 3 * 3600):
            return cls(seconds // 3600, "h", 0)
        if seconds % 86400 == 0 and seconds <= MAX_RENT_SECONDS:
            return cls(seconds // 86400, "d", 0)
        _check_seconds_form(seconds)
        return cls(1, "h", seconds)

    @classmethod
    def choices(cls) -> tuple[FeeeDuration, ...]:
        """The lengths the bot offers, shortest first."""
        return (
            cls.FIVE_MINUTES,
            cls(10, "m", 0),
            cls(1, "h", 0),
            cls(3, "h", 0),
            cls(1, "d", 0),
            cls(3, "d", 0),
            cls(7, "d", 0),
            cls(30, "d", 0),
        )


def _check_seconds_form(seconds: int) -> None:
    if seconds < MIN_RENT_SECONDS:
        raise UnsupportedDuration("too_short", seconds)
    if seconds > MAX_RENT_SECONDS:
        raise UnsupportedDuration("too_long", seconds)
    if seconds % 3:
        raise UnsupportedDuration("not_multiple_of_3", seconds)


FeeeDuration.FIVE_MINUTES = FeeeDuration(5, "m", 0, five_minute=True)
