"""Parsing what a user types. Every failure carries a catalog key, never a sentence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.tron_address import is_valid_address

MIN_AMOUNT = 10_000
MAX_AMOUNT = 100_000_000
MIN_DURATION = 300
MAX_DURATION = 30 * 86_400
MIN_PRICE = 1
MAX_PRICE = 1_000
MIN_DEADLINE = 60
MAX_DEADLINE = 86_400
MAX_RECEIVERS = 100

_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}
# [0-9], not \d: \d also matches other scripts' digits (full-width ones too), which int() takes.
_DURATION = re.compile(r"^\s*([0-9]{1,9})\s*([smhd]?)\s*$", re.IGNORECASE)
_AMOUNT = re.compile(r"^\s*([0-9][0-9,_ ]*)\s*([km]?)\s*$", re.IGNORECASE)
# ASCII and full-width commas/semicolons and the ideographic comma, as typed on CJK keyboards.
_SEPARATORS = re.compile("[\\s,;\uff0c\uff1b\u3001]+")


@dataclass(frozen=True)
class InputError(Exception):
    """Bad user input; `key` names the catalog message and `params` fill it."""

    key: str
    params: dict[str, str | int] = field(default_factory=dict)


def parse_amount(text: str) -> int:
    match = _AMOUNT.match(text)
    if not match:
        raise InputError("input.amount_not_number")
    digits = re.sub(r"[,_ ]", "", match.group(1))
    value = int(digits) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    if not MIN_AMOUNT <= value <= MAX_AMOUNT:
        raise InputError("input.amount_range", {"min": MIN_AMOUNT, "max": MAX_AMOUNT})
    return value


def parse_seconds(text: str) -> int | None:
    """`900`, `15m`, `1h`, `3d` -> seconds; None if it is not of that shape."""
    match = _DURATION.match(text)
    if not match:
        return None
    return int(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]


def parse_duration(text: str) -> int:
    seconds = parse_seconds(text)
    if seconds is None:
        raise InputError("input.duration_format")
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise InputError("input.duration_range", {"min": MIN_DURATION, "max": MAX_DURATION})
    return seconds


def parse_deadline(text: str) -> int:
    seconds = parse_seconds(text)
    if seconds is None:
        raise InputError("input.duration_format")
    if not MIN_DEADLINE <= seconds <= MAX_DEADLINE:
        raise InputError("input.deadline_range", {"min": MIN_DEADLINE, "max": MAX_DEADLINE})
    return seconds


def parse_price(text: str) -> int:
    stripped = text.strip()
    if not stripped.isdecimal() or not stripped.isascii():
        raise InputError("input.price_not_integer")
    value = int(stripped)
    if not MIN_PRICE <= value <= MAX_PRICE:
        raise InputError("input.price_range", {"min": MIN_PRICE, "max": MAX_PRICE})
    return value


def parse_receivers(text: str) -> list[str]:
    """Split on spaces, commas or new lines; validate each; drop duplicates, keep order."""
    tokens = [t for t in _SEPARATORS.split(text) if t]
    if not tokens:
        raise InputError("input.receivers_empty")
    invalid = [t for t in tokens if not is_valid_address(t)]
    if invalid:
        shown = ", ".join(t[:40] for t in invalid[:3])
        raise InputError("input.receivers_invalid", {"count": len(invalid), "addresses": shown})
    unique = list(dict.fromkeys(tokens))
    if len(unique) > MAX_RECEIVERS:
        raise InputError("input.receivers_too_many", {"max": MAX_RECEIVERS, "count": len(unique)})
    return unique


# Answers to the optional payee step that mean "skip it" (typed, or the Skip button's value).
SKIP_WORDS = frozenset({"skip", "-", "none", "跳过", "无"})


def parse_payee(text: str) -> str | None:
    """The USDT recipient of the transfers the energy is for: one TRON address, or None
    when the user skips the step."""
    tokens = [t for t in _SEPARATORS.split(text) if t]
    if not tokens:
        raise InputError("input.payee_empty")
    if len(tokens) == 1 and tokens[0].lower() in SKIP_WORDS:
        return None
    if len(tokens) > 1:
        raise InputError("input.payee_one", {"count": len(tokens)})
    if not is_valid_address(tokens[0]):
        raise InputError("input.payee_invalid", {"address": tokens[0][:40]})
    return tokens[0]
