"""TronSave's order statuses in the bot's terms: the one place that reads them."""

from __future__ import annotations

from typing import Final

from bot.domain import OrderState

# The docs disagree on the matched status ("Matched" in prose, "Completed" in the
# example); both mean the energy was delegated.
_STATES: Final = {
    "pending": OrderState.PENDING,
    "matched": OrderState.MATCHED,
    "completed": OrderState.MATCHED,
}


def state_of(status: str) -> OrderState:
    return _STATES.get(status.strip().lower(), OrderState.UNKNOWN)


def cancellable(state: OrderState) -> bool:
    """TronSave cancels an order only while it waits to be matched."""
    return state is OrderState.PENDING
