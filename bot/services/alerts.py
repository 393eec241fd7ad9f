"""Low-energy alerts with hysteresis, so a value hovering at the threshold does not flap.

An address is LOW once its available energy is below the threshold, and OK again only
once it reaches the threshold plus a margin (default a tenth of the threshold). Each
change is told once: entering LOW alerts, leaving it tells the recovery. A first reading
above the threshold says nothing; a first reading below it alerts.
"""

from __future__ import annotations

from enum import StrEnum


class AlertState(StrEnum):
    UNKNOWN = "unknown"  # never read since watched
    OK = "ok"
    LOW = "low"


class AlertEvent(StrEnum):
    LOW = "low"
    RECOVERED = "recovered"


def default_margin(threshold: int) -> int:
    return max(1, threshold // 10)


def step_alert(
    state: AlertState, available: int, threshold: int, margin: int | None = None
) -> tuple[AlertState, AlertEvent | None]:
    """The next state and what to tell, if anything."""
    if threshold <= 0:
        raise ValueError("the threshold must be positive")
    margin = default_margin(threshold) if margin is None else margin
    if margin < 0:
        raise ValueError("the margin must not be negative")
    if available < threshold:
        return AlertState.LOW, (None if state is AlertState.LOW else AlertEvent.LOW)
    if state is AlertState.LOW:
        if available >= threshold + margin:
            return AlertState.OK, AlertEvent.RECOVERED
        return AlertState.LOW, None  # in the band: still low, nothing said
    return AlertState.OK, None
