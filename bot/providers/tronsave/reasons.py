"""TronSave's code words (its docs' error table) in the bot's words.

The docs say to key on the CODE token, since the message text may change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.providers.errors import FailureReason

AUTH_CODES: Final = ("API_KEY_REQUIRED", "INVALID_API_KEY", "FORBIDDEN")
REASONS: Final[Mapping[str, FailureReason]] = {
    **dict.fromkeys(AUTH_CODES, FailureReason.UNAUTHORISED),
    "INTERNAL_BALANCE_ACCOUNT_TOO_LOW": FailureReason.INSUFFICIENT_BALANCE,
    "PRICE_EXCEED_MAX_PRICE_REQUIRED": FailureReason.PRICE_ABOVE_MAX,
    "MUST_BE_WAIT_PREVIOUS_ORDER_FILLED": FailureReason.PREVIOUS_ORDER_PENDING,
    "CANNOT_FULFILLED": FailureReason.NO_SUPPLY,
    "MIN_PRICE_INVALID": FailureReason.PRICE_BELOW_MIN,
    "INTERNAL_ACCOUNT_NOT_FOUND": FailureReason.ACCOUNT_NOT_FOUND,
    "INVALID_PARAMS": FailureReason.INVALID_REQUEST,
    "MISSING_PARAMS": FailureReason.INVALID_REQUEST,
    "RATE_LIMIT": FailureReason.RATE_LIMITED,
}
# Searched for as whole words anywhere in an error body (see the client).
CODE_WORDS: Final = tuple(code for code in REASONS if code != "RATE_LIMIT")


def reason_of(code: str) -> FailureReason | None:
    return REASONS.get(code)
