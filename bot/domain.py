"""The bot's own vocabulary for orders, independent of any provider's wording."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class ProviderName(StrEnum):
    TRONSAVE = "tronsave"
    FEEE = "feee"


class OrderState(StrEnum):
    PENDING = "pending"  # accepted by the provider, energy not delegated yet
    MATCHED = "matched"  # energy delegated, rental running
    CONFIRMED = "confirmed"  # ended early by the user, unused part refunded
    COMPLETED = "completed"  # rental period over
    CANCELLED = "cancelled"  # cancelled by the user, refunded
    EXPIRED = "expired"  # not matched before its deadline, cancelled and refunded
    FAILED = "failed"  # the provider gave up on it
    UNKNOWN = "unknown"  # a provider status the docs do not list: shown as is, still tracked

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


OPEN_STATES = frozenset({OrderState.PENDING, OrderState.MATCHED, OrderState.UNKNOWN})


class SubmissionState(StrEnum):
    SENDING = "sending"  # recorded before the create request; outcome not known yet
    SUBMITTED = "submitted"  # the provider returned order ids, all stored
    UNCERTAIN = "uncertain"  # the request may have reached the provider; being reconciled
    FAILED = "failed"  # the provider refused it, or reconciliation proved nothing was created
    UNRESOLVED = "unresolved"  # the provider offers no way to find out; the user was told


class NoticeKind(StrEnum):
    """What a queued push message announces."""

    MATCHED = "matched"
    EXPIRED = "expired"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    STATUS = "status"  # a status the docs do not list
    RECOVERED = "recovered"  # an uncertain submission turned out to have created orders
    NOT_CREATED = "not_created"  # an uncertain submission created nothing
    UNRESOLVED = "unresolved"  # an uncertain submission whose outcome cannot be known
    UNREADABLE = "unreadable"  # an order the provider keeps answering unreadably about
    KEY_MISSING = "key_missing"  # orders placed with an API key no longer configured
    INTERRUPTED = "interrupted"  # a crash cut a per-receiver submission short: what is known
    # The search for an uncertain submission's orders ended with some receivers found and
    # the rest not in the history; or it could not be finished, so the rest are unknown.
    RECOVERY_PARTIAL = "recovery_partial"
    RECOVERY_UNKNOWN = "recovery_unknown"
    # Operator alerts (to OPERATOR_CHAT_ID); their figures travel in the payload's `alert`.
    LOW_BALANCE = "low_balance"  # a provider's balance fell below its threshold
    BALANCE_RECOVERED = "balance_recovered"  # and is back at or above it
    PROVIDER_FAILING = "provider_failing"  # a provider failed repeatedly within a window
    # After the match: confirmed by the bot once the rented energy was used; an automatic
    # confirmation the provider refused or left unanswered; a rental about to end.
    AUTO_CONFIRMED = "auto_confirmed"
    AUTO_CONFIRM_FAILED = "auto_confirm_failed"
    RENTAL_ENDING = "rental_ending"
    PROVIDER_RECOVERED = "provider_recovered"  # and its failing episode ended
    UNKNOWN_OUTCOMES = "unknown_outcomes"  # submissions or orders whose outcome stayed unknown
    BOT_ERRORS = "bot_errors"  # errors the bot caught (type and where), rate-limited
    DAILY_SUMMARY = "daily_summary"  # the previous UTC day's orders and money
    # Watched addresses (/watch); their figures travel in the payload's `alert` too.
    WATCH_LOW = "watch_low"  # a watched address's energy fell below its threshold
    WATCH_RECOVERED = "watch_recovered"  # and is back above it
    AUTO_RENT = "auto_rent"  # auto-rent tried to place its order: what came of it
    AUTO_RENT_STOPPED = "auto_rent_stopped"  # auto-rent stops spending, and why


# The order states whose entry is announced, and by which push.
STATE_NOTICES: Final = MappingProxyType(
    {
        OrderState.MATCHED: NoticeKind.MATCHED,
        OrderState.EXPIRED: NoticeKind.EXPIRED,
        OrderState.COMPLETED: NoticeKind.COMPLETED,
        OrderState.CANCELLED: NoticeKind.CANCELLED,
        OrderState.FAILED: NoticeKind.FAILED,
        OrderState.UNKNOWN: NoticeKind.STATUS,
    }
)


@dataclass(frozen=True)
class PlacedOrder:
    """An order a provider made (answered by `submit`, found by `recover`): what the
    provider port returns and the repository stores, so both speak this one type."""

    provider_order_id: str
    receiver: str | None
    amount: int
    duration_sec: int
    state: OrderState = OrderState.PENDING
    raw_status: str | None = None
    deadline_at: float | None = None
    charge_sun: int | None = None
    provider_created_at: float | None = None
    # Orders one create request made share it (TronSave history `request_id`), which
    # tells a recovered submission's later finds from another request's.
    request_id: str | None = None
