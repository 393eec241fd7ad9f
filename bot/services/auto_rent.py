"""The auto-rent policy of a watched address: when to place its preset order, and the
daily ledger that bounds it.

While an address is LOW, its preset order is placed through the normal submit path, at
most one open automatic order per address, within a daily budget in SUN and in orders
(both required), counted at the worst case (amount times max price) so the budget cannot
be overrun. A failure pauses it; an outcome not known counts as placed (never retried
blindly). When the budget or the provider balance runs out it stops and says so once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.chain.models import TRANSFER_ENERGY_TO_HOLDER, AccountResources
from bot.services.energy_need import NeedBasis, TransferNeed, size_receiver

DAY_SECONDS = 86_400
DEFAULT_PAUSE_SECONDS = 3_600


class StopReason(StrEnum):
    DAILY_BUDGET = "daily_budget"  # the next order could overrun the TRX budget
    DAILY_ORDERS = "daily_orders"
    PROVIDER_BALANCE = "provider_balance"
    SPEND_LIMIT = "spend_limit"  # the operator's per-order or daily limit refused it
    NOT_ALLOWED = "not_allowed"  # the user is not (or no longer) allowed


class WaitReason(StrEnum):
    NOT_LOW = "not_low"
    OPEN_ORDER = "open_order"  # at most one open automatic order per address
    PAUSED = "paused"  # after a failure
    STOPPED = "stopped"  # a stop already told


class RentAction(StrEnum):
    PLACE = "place"
    WAIT = "wait"
    STOP = "stop"  # tell the user once


@dataclass(frozen=True, slots=True)
class AutoRentPlan:
    """The preset order and its limits. Both budgets are required and positive."""

    provider: str
    amount: int
    duration_sec: int
    max_price: int  # SUN per energy unit
    daily_budget_sun: int
    daily_orders: int
    pause_seconds: int = DEFAULT_PAUSE_SECONDS
    # "auto": `amount` is sized before each order to what the address lacks for the
    # transfers its threshold stands for (at least `amount`, the provider's minimum).
    auto_amount: bool = False

    def __post_init__(self) -> None:
        if self.daily_budget_sun <= 0 or self.daily_orders <= 0:
            raise ValueError("auto-rent needs a positive daily budget in TRX and in orders")
        if self.amount <= 0 or self.duration_sec <= 0 or self.max_price <= 0:
            raise ValueError("auto-rent needs a positive amount, duration and price")
        if self.pause_seconds < 0:
            raise ValueError("the pause must not be negative")

    @property
    def max_cost_sun(self) -> int:
        """The most one order can cost: what the budget is charged before placing."""
        return self.amount * self.max_price


@dataclass(frozen=True, slots=True)
class AutoRentLedger:
    """What auto-rent spent today (UTC day) and its pause/stop; kept by the store."""

    day: int = 0
    spent_sun: int = 0
    orders: int = 0
    paused_until: float = 0.0
    stopped: StopReason | None = None  # told already; cleared when placing is possible

    def on(self, now: float) -> AutoRentLedger:
        """The ledger as of `now`: a new day starts from zero."""
        today = int(now // DAY_SECONDS)
        if today == self.day:
            return self
        return replace(self, day=today, spent_sun=0, orders=0, stopped=None)


@dataclass(frozen=True, slots=True)
class AutoRentDecision:
    action: RentAction
    ledger: AutoRentLedger  # to store, whatever the action
    stop: StopReason | None = None
    wait: WaitReason | None = None


def decide_auto_rent(
    plan: AutoRentPlan,
    ledger: AutoRentLedger,
    *,
    low: bool,
    allowed: bool,
    open_order: bool,
    now: float,
    provider_balance_sun: int | None = None,
) -> AutoRentDecision:
    """What auto-rent does now. `provider_balance_sun` None: not known (the submit path
    will refuse an order the balance cannot pay; that failure pauses)."""
    ledger = ledger.on(now)
    # In order of precedence: the first that holds decides.
    checks: tuple[tuple[bool, StopReason | WaitReason], ...] = (
        (not allowed, StopReason.NOT_ALLOWED),
        (not low, WaitReason.NOT_LOW),
        (open_order, WaitReason.OPEN_ORDER),
        (now < ledger.paused_until, WaitReason.PAUSED),
        (ledger.orders >= plan.daily_orders, StopReason.DAILY_ORDERS),
        (ledger.spent_sun + plan.max_cost_sun > plan.daily_budget_sun, StopReason.DAILY_BUDGET),
        (
            provider_balance_sun is not None and provider_balance_sun < plan.max_cost_sun,
            StopReason.PROVIDER_BALANCE,
        ),
    )
    reason = next((r for hit, r in checks if hit), None)
    if isinstance(reason, StopReason):
        return _stop(ledger, reason)
    if isinstance(reason, WaitReason):
        return AutoRentDecision(RentAction.WAIT, ledger, wait=reason)
    # `stopped` stays until an order is placed: a failing retry does not tell it again.
    return AutoRentDecision(RentAction.PLACE, ledger)


def _stop(ledger: AutoRentLedger, reason: StopReason) -> AutoRentDecision:
    if ledger.stopped is reason:
        return AutoRentDecision(RentAction.WAIT, ledger, reason, WaitReason.STOPPED)
    return AutoRentDecision(RentAction.STOP, replace(ledger, stopped=reason), reason)


class PlaceStatus(StrEnum):
    PLACED = "placed"
    FAILED = "failed"  # refused, nothing created
    UNKNOWN = "unknown"  # may have been created: counted, never retried blindly
    NO_BALANCE = "no_balance"  # the provider balance cannot pay
    SPEND_LIMIT = "spend_limit"  # the operator's spend limits refused it, nothing sent


@dataclass(frozen=True, slots=True)
class PlaceResult:
    status: PlaceStatus
    charge_sun: int | None = None  # what the order cost, when known
    order_ids: tuple[int, ...] = ()
    submission_id: int | None = None
    retry_at: float | None = None  # a spend limit: when it resets
    code: str | None = None  # a failure's reason, for the push
    amount: int | None = None  # the energy ordered (an "auto" plan sizes it each time)


def sized_plan(plan: AutoRentPlan, resources: AccountResources, threshold: int) -> AutoRentPlan:
    """The plan with its amount sized now (auto), else as set. Without a payee the holder
    figure is assumed (see energy_need), for as many transfers as the threshold covers."""
    if not plan.auto_amount:
        return plan
    need = size_receiver(
        resources.address,
        resources,
        TransferNeed(TRANSFER_ENERGY_TO_HOLDER, NeedBasis.ASSUMED_HOLDER),
        amount=threshold,
        minimum=plan.amount,
    )
    if need.suggested_amount is None:
        return plan
    return replace(plan, amount=need.suggested_amount)


def record_placement(
    plan: AutoRentPlan, ledger: AutoRentLedger, result: PlaceResult, now: float
) -> AutoRentLedger:
    """The ledger after a placing attempt."""
    ledger = ledger.on(now)
    if result.status in (PlaceStatus.PLACED, PlaceStatus.UNKNOWN):
        charge = plan.max_cost_sun if result.charge_sun is None else result.charge_sun
        placed = replace(
            ledger, spent_sun=ledger.spent_sun + charge, orders=ledger.orders + 1, stopped=None
        )
        if result.status is PlaceStatus.UNKNOWN:
            placed = replace(placed, paused_until=now + plan.pause_seconds)
        return placed
    if result.status is PlaceStatus.NO_BALANCE:
        paused = now + plan.pause_seconds
        return replace(ledger, stopped=StopReason.PROVIDER_BALANCE, paused_until=paused)
    if result.status is PlaceStatus.SPEND_LIMIT:
        paused = max(now + plan.pause_seconds, result.retry_at or 0.0)
        return replace(ledger, stopped=StopReason.SPEND_LIMIT, paused_until=paused)
    return replace(ledger, paused_until=now + plan.pause_seconds)
