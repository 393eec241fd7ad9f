"""Typed provider failures, each with the bot's reason for it.

The exception class says what the bot may do next (retry, reconcile, give up); the
`reason` says what the user is told (the catalogs have one `failure.<reason>` message
per reason); `code` is the provider's own code word or number, kept for logs, storage
and messages where it helps.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict, Unpack


class FailureReason(StrEnum):
    """Why a provider did not do what was asked, in the bot's words."""

    INSUFFICIENT_BALANCE = "insufficient_balance"  # the operator's account is too low
    PRICE_ABOVE_MAX = "price_above_max"
    PRICE_BELOW_MIN = "price_below_min"  # the max price is under the provider's floor
    RECEIVER_NOT_ACTIVATED = "receiver_not_activated"
    NO_SUPPLY = "no_supply"  # the provider has no energy to fill it now
    PREVIOUS_ORDER_PENDING = "previous_order_pending"  # an identical order still waits
    TOO_MANY_OPEN_ORDERS = "too_many_open_orders"  # for this receiver
    ACCOUNT_NOT_FOUND = "account_not_found"
    UNAUTHORISED = "unauthorised"  # the API key is missing, wrong or revoked
    IP_NOT_ALLOWED = "ip_not_allowed"  # the key's IP whitelist
    USER_AGENT_NOT_ALLOWED = "user_agent_not_allowed"  # the key's User-Agent whitelist
    UNSUPPORTED_DURATION = "unsupported_duration"
    INVALID_REQUEST = "invalid_request"  # the provider rejected the request's shape
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # 5xx, timeout, unreadable answer
    SHUTTING_DOWN = "shutting_down"  # the bot stopped sending: it is restarting
    REFUSED = "refused"  # any other refusal: the provider's code and text are shown


@dataclass(frozen=True)
class SendTiming:
    """When a request went out and by when it could have taken effect, on our clock, with
    the provider's clock offset as measured then (provider minus ours), if known."""

    sent_at: float  # taken just before the request was written
    answer_by: float  # the latest moment the provider could still have acted on it
    offset_low: float | None = None
    offset_high: float | None = None


class _Common(TypedDict, total=False):
    """The keyword arguments every ProviderError takes."""

    http_status: int | None
    reason: FailureReason | None


class ProviderError(Exception):
    """Base class. `code` is the provider's code word or number, as a string ("" when
    the bot itself found the failure); `reason` defaults to the class's."""

    # Set by clients that know it: lets a lost create be matched against the history.
    timing: SendTiming | None = None
    default_reason = FailureReason.REFUSED

    def __init__(
        self,
        provider: str,
        code: str,
        detail: str = "",
        *,
        http_status: int | None = None,
        reason: FailureReason | None = None,
    ) -> None:
        super().__init__(f"{provider}: {code} {detail}".strip())
        self.provider = provider
        self.code = code
        self.detail = detail
        self.http_status = http_status
        self.reason = reason or self.default_reason


class ProviderAuthError(ProviderError):
    """The API key is missing, wrong, revoked, or not whitelisted for this client."""

    default_reason = FailureReason.UNAUTHORISED


class ProviderValidationError(ProviderError):
    """The provider rejected the request's shape; `field` names the offending field if known."""

    default_reason = FailureReason.INVALID_REQUEST

    def __init__(
        self,
        provider: str,
        code: str,
        detail: str = "",
        *,
        field: str | None = None,
        **common: Unpack[_Common],
    ) -> None:
        super().__init__(provider, code, detail, **common)
        self.field = field


class ProviderBusinessError(ProviderError):
    """A documented business refusal, such as a balance that is too low."""

    def __init__(
        self,
        provider: str,
        code: str,
        detail: str = "",
        *,
        request_id: str | None = None,
        **common: Unpack[_Common],
    ) -> None:
        super().__init__(provider, code, detail, **common)
        self.request_id = request_id


class ProviderRateLimited(ProviderError):
    """HTTP 429 that was not (or could not safely be) waited out."""

    default_reason = FailureReason.RATE_LIMITED


class ProviderUnavailable(ProviderError):
    """5xx, timeout, connection failure or an unreadable answer.

    `outcome_unknown` is True when the request may have been processed (it was sent and
    no definite answer came back): a create call in that state must be reconciled, never
    retried blindly.
    """

    default_reason = FailureReason.UNAVAILABLE

    def __init__(
        self,
        provider: str,
        code: str,
        detail: str = "",
        *,
        outcome_unknown: bool,
        **common: Unpack[_Common],
    ) -> None:
        super().__init__(provider, code, detail, **common)
        self.outcome_unknown = outcome_unknown
