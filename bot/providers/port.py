"""What the order logic needs from a provider, in the bot's own terms.

Each provider package has an adapter (`tronsave.adapter`, `feee.adapter`) that speaks
its client's dialect and answers in these types, so the services and handlers never
branch on which provider they talk to. The types are the port's own, not storage rows:
the services convert at the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.domain import OrderState, PlacedOrder, ProviderName
from bot.providers.errors import FailureReason, ProviderError


@dataclass(frozen=True, slots=True)
class TrackedOrder:
    """What tracking, confirming, cancelling and settling need to know of a stored order."""

    provider_order_id: str
    amount: int
    state: OrderState
    raw_status: str | None
    created_at: float  # our clock, when the bot stored it
    provider_created_at: float | None = None  # the provider's clock, if known


@dataclass(frozen=True, slots=True)
class SubmissionQuery:
    """A submission whose answer was lost, as `recover` needs it to match the history."""

    amount: int
    duration_sec: int
    max_price: int
    deadline_sec: int
    receivers: tuple[str, ...]
    created_at: float
    # Our clock: the create request's send time and the latest moment it could have acted;
    # the provider's clock offset bounds measured then. None when not recorded.
    sent_at: float | None = None
    answer_by: float | None = None
    offset_low: float | None = None
    offset_high: float | None = None


@dataclass(frozen=True, slots=True)
class OrderRequest:
    amount: int  # energy units per receiver
    duration_sec: int
    max_price: int  # SUN per energy unit
    receivers: tuple[str, ...]
    deadline_sec: int


@dataclass(frozen=True, slots=True)
class Quote:
    provider: ProviderName
    unit_price_sun: int
    total_sun: int  # for all receivers
    balance_sun: int | None
    can_match: bool | None  # None: the provider does not say
    receivers_available: int | None = None

    def within(self, max_price: int) -> bool:
        return self.unit_price_sun <= max_price

    @property
    def balance_sufficient(self) -> bool | None:
        return None if self.balance_sun is None else self.balance_sun >= self.total_sun


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """A provider's price for ONE receiver of `amount` energy for `duration_sec`, whatever
    the receiver count or max price: the part of a quote every chat asking for the same
    amount and duration can share (`bot.services.orders.quotes` builds each chat's Quote
    from it)."""

    provider: ProviderName
    unit_price_sun: int  # SUN per energy unit, what a max price is compared with
    receiver_sun: int  # what one receiver's order costs, in SUN (fees included)
    receivers_available: int | None = None  # receivers matchable now; None: not said
    can_match_one: bool | None = None  # one receiver matchable now; None: not said
    balance_sun: int | None = None  # the balance, when the price answer carries it


@dataclass(frozen=True, slots=True)
class Refusal:
    """The provider cannot serve this request at all, for `reason`."""

    provider: ProviderName
    reason: FailureReason


class ReceiverStatus(StrEnum):
    """What became of one receiver of a submission."""

    ORDERED = "ordered"  # the provider answered with an order id
    UNCERTAIN = "uncertain"  # sent, no definite answer: the order may exist
    REFUSED = "refused"  # the provider definitely said no; nothing was ordered
    PRICE_ROSE = "price_rose"  # not sent: the price was above the max right before
    NOT_ATTEMPTED = "not_attempted"  # never sent: an earlier receiver stopped the loop


@dataclass(frozen=True, slots=True)
class ReceiverResult:
    """One receiver's outcome. `position` indexes `OrderRequest.receivers`; None for an
    order the provider returned that cannot be tied to a receiver."""

    position: int | None
    receiver: str | None
    status: ReceiverStatus
    order: PlacedOrder | None = None
    error: ProviderError | None = None


class SubmitProgress(Protocol):
    """Where an adapter reports progress while it submits, so nothing learnt is lost to a
    crash half-way: each call returns only once the facts are stored."""

    async def sending(self, positions: Sequence[int]) -> None:
        """The create request for these receivers is about to go out."""
        ...

    async def settled(self, results: Sequence[ReceiverResult]) -> None:
        """Receivers whose outcome is now known (their order ids, if any, included)."""
        ...


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """Every receiver's outcome, in request order, and the error that stopped the rest."""

    receivers: list[ReceiverResult] = field(default_factory=list)
    error: ProviderError | None = None

    @property
    def orders(self) -> list[PlacedOrder]:
        return [r.order for r in self.receivers if r.order is not None]


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    provider_order_id: str
    state: OrderState
    raw_status: str
    delivered_amount: int | None = None
    delegate_txid: str | None = None
    refund_sun: int | None = None
    ends_at: float | None = None  # rental end, if the provider tells it
    provider_created_at: float | None = None  # creation time on the provider's clock


@dataclass(frozen=True, slots=True)
class Unreadable:
    """The provider gave no usable answer about this one order (it refused it alone, or
    its record lacks what the state depends on). `transient`: the question was not
    answered this time (5xx, timeout, 429) and says nothing about the order itself."""

    provider_order_id: str
    reason: str  # a short code for logs
    transient: bool = False


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """Result of confirming or cancelling one order."""

    provider_order_id: str
    success: bool
    fail_reason: str | None = None
    refund_sun: int | None = None


@dataclass(frozen=True, slots=True)
class Settlement:
    """Money facts for one order, learnt after the fact (e.g. from TronSave history)."""

    provider_order_id: str
    charge_sun: int | None
    refund_sun: int | None


@dataclass(frozen=True, slots=True)
class Balance:
    provider: ProviderName
    balance_sun: int
    deposit_address: str | None


class EnergyProvider(Protocol):
    name: ProviderName
    key_id: str
    supports_confirm: bool
    track_batch: int  # orders per `track` call; the poller commits after each call
    durations: tuple[int, ...]  # rental lengths (seconds) to offer as buttons

    def check_request(self, request: OrderRequest) -> FailureReason | None:
        """Why this provider cannot serve the request at all, or None."""
        ...

    async def price(self, amount: int, duration_sec: int) -> PriceQuote:
        """The price of one receiver's order (shared across chats by the quote service)."""
        ...

    def submit_seconds(self, request: OrderRequest) -> float:
        """About how long submitting `request` keeps the create endpoint busy, pacing
        included: what the create queue tells the users waiting behind it."""
        ...

    async def submit(self, request: OrderRequest, progress: SubmitProgress) -> SubmitResult:
        """Place the order, reporting each receiver to `progress` as soon as its outcome
        is known. Raises ProviderError when nothing was placed, or when the outcome of the
        whole request is unknown and `recover` can look it up."""
        ...

    async def recover(self, submission: SubmissionQuery) -> list[PlacedOrder] | None:
        """Orders an uncertain submission may have created, oldest first (several per
        receiver possible; the caller skips those already stored). None: cannot tell."""
        ...

    async def track(self, orders: Sequence[TrackedOrder]) -> Sequence[StatusUpdate | Unreadable]:
        """Status of each order. Raises ProviderError when the whole request failed; the
        poller then splits a refused batch to find the order it refuses."""
        ...

    async def confirm(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]: ...

    async def cancel(self, orders: Sequence[TrackedOrder]) -> list[ActionOutcome]: ...

    async def settlements(self, orders: Sequence[TrackedOrder]) -> list[Settlement]: ...

    def can_cancel(self, order: TrackedOrder, now: float) -> bool: ...

    async def balance(self) -> Balance: ...

    async def aclose(self) -> None: ...
