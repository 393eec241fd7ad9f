"""Feee's business codes in the bot's words.

Feee publishes no error table; these come from third-party clients (reference §2.3), so
they are hints for messages, not a contract: an unknown code is a plain refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.providers.errors import FailureReason

REASONS: Final[Mapping[int, FailureReason]] = {
    20002: FailureReason.INSUFFICIENT_BALANCE,
    20005: FailureReason.RECEIVER_NOT_ACTIVATED,
    20009: FailureReason.NO_SUPPLY,
    20012: FailureReason.IP_NOT_ALLOWED,
    20013: FailureReason.USER_AGENT_NOT_ALLOWED,
    20014: FailureReason.TOO_MANY_OPEN_ORDERS,
}
# The key is refused for this client: every request would fail alike.
AUTH_CODES: Final = frozenset({20012, 20013})
# Refusals about one receiver only: a submission goes on with the next one.
RECEIVER_ONLY: Final = frozenset(
    {FailureReason.RECEIVER_NOT_ACTIVATED, FailureReason.TOO_MANY_OPEN_ORDERS}
)


def reason_of(code: str) -> FailureReason | None:
    """The reason for a Feee code as the client reports it (a decimal string)."""
    return REASONS.get(int(code)) if code.lstrip("-").isdigit() else None
