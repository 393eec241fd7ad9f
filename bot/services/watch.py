"""Watched addresses: low-energy alerts and the auto-rent policy.

Alerts (hysteresis, so a value hovering at the threshold does not flap): an address is
LOW once its available energy is below the threshold, and OK again only once it reaches
the threshold plus a margin (default a tenth of the threshold). Each change is told once:
entering LOW alerts, leaving it tells the recovery. A first reading above the threshold
says nothing; a first reading below it alerts. A reading that fails changes nothing.

Auto-rent, opt-in per address and for allowed users only: while an address is LOW, place
its preset order through the normal submit path (a callback), at most one open automatic
order per address, within a daily budget in SUN and in orders (both required), counted
at the worst case (amount times max price) so the budget cannot be overrun. A failure
pauses it; an outcome not known counts as placed (never retried blindly). When the
budget or the provider balance runs out it stops and says so once.

The chain is read at the node's pace (the client's shared `Pacer`): a few addresses per
cycle, in turn, within a time budget; an address watched by several users is read once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from bot.chain.address import is_valid_address
from bot.chain.errors import ChainError
from bot.chain.port import ChainReader

log = logging.getLogger(__name__)

DAY_SECONDS = 86_400
DEFAULT_ADDRESSES_PER_CYCLE = 20
DEFAULT_BUDGET_SECONDS = 20.0
DEFAULT_PAUSE_SECONDS = 3_600


# --- alerts ------------------------------------------------------------------------------


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


class RoundRobin:
    """Picks up to `n` keys per cycle, starting after the last one picked."""

    def __init__(self) -> None:
        self._last: str | None = None

    def pick(self, keys: Sequence[str], n: int) -> list[str]:
        ordered = sorted(set(keys))
        if not ordered:
            return []
        start = 0
        if self._last is not None:
            start = next((i for i, k in enumerate(ordered) if k > self._last), 0)
        return (ordered[start:] + ordered[:start])[:n]

    def done(self, key: str) -> None:
        """Mark `key` read: only what was actually read counts as its turn."""
        self._last = key


# --- auto-rent ---------------------------------------------------------------------------


class StopReason(StrEnum):
    DAILY_BUDGET = "daily_budget"  # the next order could overrun the TRX budget
    DAILY_ORDERS = "daily_orders"
    PROVIDER_BALANCE = "provider_balance"
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


@dataclass(frozen=True, slots=True)
class PlaceResult:
    status: PlaceStatus
    charge_sun: int | None = None  # what the order cost, when known
    order_ids: tuple[int, ...] = ()


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
    return replace(ledger, paused_until=now + plan.pause_seconds)


# --- the service ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Watch:
    watch_id: int
    chat_id: int
    user_id: int
    address: str
    threshold: int
    state: AlertState = AlertState.UNKNOWN
    plan: AutoRentPlan | None = None  # None: auto-rent off
    ledger: AutoRentLedger = field(default_factory=AutoRentLedger)
    open_auto_order: bool = False  # an automatic order of this watch is still open


class ActionKind(StrEnum):
    ALERT = "alert"
    RECOVERED = "recovered"
    AUTO_RENT = "auto_rent"  # an order was attempted: see `placed`
    AUTO_RENT_STOPPED = "auto_rent_stopped"


@dataclass(frozen=True, slots=True)
class WatchAction:
    """Something to push to the user (with a Stop button for auto-rent)."""

    kind: ActionKind
    watch: Watch
    available: int
    placed: PlaceResult | None = None
    stop: StopReason | None = None


class WatchStore(Protocol):
    async def watches(self) -> Sequence[Watch]:
        """Every watched address, with its alert state, plan, ledger and open order."""
        ...

    async def save_alert_state(self, watch_id: int, state: AlertState) -> None: ...

    async def save_ledger(self, watch_id: int, ledger: AutoRentLedger) -> None: ...


PlaceOrder = Callable[[Watch, AutoRentPlan], Awaitable[PlaceResult]]
ProviderBalance = Callable[[str], Awaitable[int | None]]


class WatchService:
    def __init__(
        self,
        chain: ChainReader,
        store: WatchStore,
        *,
        place: PlaceOrder,
        allowed: Callable[[int], bool],
        clock: Callable[[], float],
        provider_balance: ProviderBalance | None = None,
        addresses_per_cycle: int = DEFAULT_ADDRESSES_PER_CYCLE,
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    ) -> None:
        if addresses_per_cycle < 1:
            raise ValueError("addresses_per_cycle must be at least 1")
        self._chain = chain
        self._store = store
        self._place = place
        self._allowed = allowed
        self._clock = clock
        self._balance = provider_balance
        self._per_cycle = addresses_per_cycle
        self._budget = budget_seconds
        self._turns = RoundRobin()

    async def cycle(self) -> list[WatchAction]:
        watches = list(await self._store.watches())
        invalid = {w.address for w in watches if not is_valid_address(w.address)}
        if invalid:
            # The client would refuse them: skipped, so they cannot stop the others.
            log.warning("watch: %d stored addresses are not valid", len(invalid))
            watches = [w for w in watches if w.address not in invalid]
        readings = await self._read(
            self._turns.pick([w.address for w in watches], self._per_cycle)
        )
        actions: list[WatchAction] = []
        for watch in watches:
            available = readings.get(watch.address)
            if available is not None:
                actions.extend(await self._handle(watch, available))
        return actions

    async def _read(self, addresses: Sequence[str]) -> dict[str, int]:
        readings: dict[str, int] = {}
        try:
            async with asyncio.timeout(self._budget):
                for address in addresses:
                    try:
                        resources = await self._chain.account_resources(address)
                    except ChainError as exc:
                        log.info("watch: %s not read (%s)", address, exc.code)
                    else:
                        # An address that does not exist has no energy: it is low.
                        readings[address] = resources.available_energy
                    self._turns.done(address)
        except TimeoutError:
            log.info("watch: budget spent after %d addresses", len(readings))
        return readings

    async def _handle(self, watch: Watch, available: int) -> list[WatchAction]:
        actions: list[WatchAction] = []
        state, event = step_alert(watch.state, available, watch.threshold)
        if state is not watch.state:
            await self._store.save_alert_state(watch.watch_id, state)
        if event is AlertEvent.LOW:
            actions.append(WatchAction(ActionKind.ALERT, watch, available))
        elif event is AlertEvent.RECOVERED:
            actions.append(WatchAction(ActionKind.RECOVERED, watch, available))
        if watch.plan is not None:
            # Below the threshold itself, not the alert's band: energy just above it
            # (a rental arriving) must not order again.
            low = available < watch.threshold
            action = await self._auto_rent(watch, watch.plan, low, available)
            if action is not None:
                actions.append(action)
        return actions

    async def _auto_rent(
        self, watch: Watch, plan: AutoRentPlan, low: bool, available: int
    ) -> WatchAction | None:
        now = self._clock()

        def decision(balance: int | None) -> AutoRentDecision:
            return decide_auto_rent(
                plan,
                watch.ledger,
                low=low,
                allowed=self._allowed(watch.user_id),
                open_order=watch.open_auto_order,
                now=now,
                provider_balance_sun=balance,
            )

        decided = decision(None)
        if decided.action is RentAction.PLACE and self._balance is not None:
            decided = decision(await self._balance(plan.provider))
        if decided.ledger != watch.ledger and decided.action is not RentAction.PLACE:
            await self._store.save_ledger(watch.watch_id, decided.ledger)
        if decided.action is RentAction.STOP:
            return WatchAction(ActionKind.AUTO_RENT_STOPPED, watch, available, stop=decided.stop)
        if decided.action is RentAction.WAIT:
            return None
        try:
            result = await self._place(watch, plan)
        except Exception:  # the submit path must not stop the watcher; unknown is safe
            log.exception("watch %s: auto-rent placing raised", watch.watch_id)
            result = PlaceResult(PlaceStatus.UNKNOWN)
        ledger = record_placement(plan, decided.ledger, result, self._clock())
        await self._store.save_ledger(watch.watch_id, ledger)
        if result.status is PlaceStatus.NO_BALANCE:
            stop = StopReason.PROVIDER_BALANCE
            if decided.ledger.stopped is stop:
                return None  # told already
            return WatchAction(ActionKind.AUTO_RENT_STOPPED, watch, available, result, stop)
        return WatchAction(ActionKind.AUTO_RENT, watch, available, result)
