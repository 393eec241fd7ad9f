"""Watched addresses: the service that reads them and says what to tell or do.

Alerts follow `alerts.py` (hysteresis, each change told once; a reading that fails
changes nothing); auto-rent, opt-in per address and for allowed users only, follows
`auto_rent.py` and places orders through the normal submit path (a callback).

The chain is read at the node's pace (the client's shared `Pacer`): a few addresses per
cycle, in turn, within a time budget (`turns.py`); an address watched by several users
is read once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.chain.address import is_valid_address
from bot.chain.errors import ChainError
from bot.chain.port import ChainReader
from bot.services.alerts import AlertEvent, AlertState, step_alert
from bot.services.auto_rent import (
    AutoRentDecision,
    AutoRentLedger,
    AutoRentPlan,
    PlaceResult,
    PlaceStatus,
    RentAction,
    StopReason,
    decide_auto_rent,
    record_placement,
)
from bot.services.turns import Turns

log = logging.getLogger(__name__)

DEFAULT_ADDRESSES_PER_CYCLE = 20
DEFAULT_BUDGET_SECONDS = 20.0


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
        self._chain = chain
        self._store = store
        self._place = place
        self._allowed = allowed
        self._clock = clock
        self._balance = provider_balance
        self._turns = Turns[str](addresses_per_cycle, budget_seconds, name="addresses_per_cycle")

    async def cycle(self) -> list[WatchAction]:
        watches = list(await self._store.watches())
        invalid = {w.address for w in watches if not is_valid_address(w.address)}
        if invalid:
            # The client would refuse them: skipped, so they cannot stop the others.
            log.warning("watch: %d stored addresses are not valid", len(invalid))
            watches = [w for w in watches if w.address not in invalid]
        readings = await self._read([w.address for w in watches])
        actions: list[WatchAction] = []
        for watch in watches:
            available = readings.get(watch.address)
            if available is not None:
                actions.extend(await self._handle(watch, available))
        return actions

    async def _read(self, addresses: Sequence[str]) -> dict[str, int]:
        readings: dict[str, int] = {}

        async def read(address: str) -> None:
            try:
                resources = await self._chain.account_resources(address)
            except ChainError as exc:
                log.info("watch: %s not read (%s)", address, exc.code)
            else:
                # An address that does not exist has no energy: it is low.
                readings[address] = resources.available_energy

        if not await self._turns.take(addresses, read):
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
