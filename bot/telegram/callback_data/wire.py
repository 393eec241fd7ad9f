"""The wire format every button shares: the prefixes, Telegram's 64-byte limit, and the
helpers that pack fields and match them (underscored: the codec's own, used by its
modules and by no caller outside `bot.telegram.callback_data`).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TypeVar

MAX_BYTES = 64  # Telegram's limit for callback data
SEP = ":"
_T = TypeVar("_T", bound=str)


class Prefix(StrEnum):
    """The first field of every button's data: one per family of handlers."""

    WIZARD = "w"
    PAGE = "l"
    LANGUAGE = "lang"
    ORDER_ACTION = "a"
    HISTORY = "h"
    WATCH = "wa"
    SETTINGS = "set"
    RENT_AGAIN = "ra"


def _checked(data: str) -> str:
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data[:20]}…")
    return data


def _pack(*fields: object) -> str:
    return _checked(SEP.join(str(f) for f in fields))


def _after(data: str, *head: str) -> str | None:
    """What follows `head` (joined by SEP, then SEP), or None if data starts otherwise."""
    start = SEP.join(head) + SEP
    return data[len(start) :] if data.startswith(start) else None


def _one_of(value: str | None, options: tuple[_T, ...]) -> _T | None:
    """`value` typed as one of `options` (a Literal's values), or None."""
    return next((o for o in options if o == value), None)


def _head_pattern(*head: str, exact: bool = False) -> str:
    prefix = "^" + re.escape(SEP.join(head))
    return prefix + "$" if exact else prefix + re.escape(SEP)
