"""Watched addresses: the service that reads them and says what to tell or do.

Alerts follow `alerts.py` (hysteresis, each change told once; a reading that fails
changes nothing); auto-rent, opt-in per address and for allowed users only, follows
`auto_rent.py` and places orders through the normal submit path (a callback).

The chain is read at the node's pace (the client's shared `Pacer`): a few addresses per
cycle, in turn, within a time budget (`turns.py`), each read within its own timeout so
one hung call cannot hold the others; an address watched by several users is read once.

The store writes each change together with the push it causes (the action passed with
it), so what is told is neither lost nor repeated by a crash.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.chain.address import is_valid_address
from bot.chain.errors import ChainError
from bot.chain.models import AccountResources
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
    sized_plan,
)
from bot.services.turns import Turns

log = logging.getLogger(__name__)

DEFAULT_ADDRESSES_PER_CYCLE = 20
DEFAULT_BUDGET_SECONDS = 20.0
DEFAULT_CALL_TIMEOUT = 15.0  # one reading; the client's own timeout is usually shorter


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
    lang: str | None = None  # the user's language when they set the watch up


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

    async def save_alert_state(
        self, watch_id: int, state: AlertState, action: WatchAction | None
    ) -> None:
        """Store the state, and queue `action`'s push with it (one transaction)."""
        ...

    async def save_ledger(
        self, watch_id: int, ledger: AutoRentLedger, action: WatchAction | None
    ) -> None: ...


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
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
    ) -> None:
        self._chain = chain
        self._store = store
        self._place = place
        self._allowed = allowed
        self._clock = clock
        self._balance = provider_balance
        self._call_timeout = call_timeout
        self._cycle_lock = asyncio.Lock()
        self._balances: dict[str, int | None] = {}  # this check's answers, per provider
        self._turns = Turns[str](addresses_per_cycle, budget_seconds, name="addresses_per_cycle")

    async def cycle(self) -> list[WatchAction]:
        """One check; checks never overlap (two could both decide to order)."""
        async with self._cycle_lock:
            return await self._cycle()

    async def _cycle(self) -> list[WatchAction]:
        self._balances = {}
        watches = list(await self._store.watches())
        invalid = {w.address for w in watches if not is_valid_address(w.address)}
        if invalid:
            # The client would refuse them: skipped, so they cannot stop the others.
            log.warning("watch: %d stored addresses are not valid", len(invalid))
            watches = [w for w in watches if w.address not in invalid]
        readings = await self._read([w.address for w in watches])
        actions: list[WatchAction] = []
        for watch in watches:
            resources = readings.get(watch.address)
            if resources is None:
                continue
            try:
                actions.extend(await self._handle(watch, resources))
            except Exception:  # e.g. a database write: one watch must not stop the others
                log.exception("watch %s: handling its reading failed", watch.watch_id)
        return actions

    async def _read(self, addresses: Sequence[str]) -> dict[str, AccountResources]:
        readings: dict[str, AccountResources] = {}

        async def read(address: str) -> None:
            try:
                async with asyncio.timeout(self._call_timeout):
                    resources = await self._chain.account_resources(address)
            except ChainError as exc:
                log.info("watch: %s not read (%s)", address, exc.code)
            except TimeoutError:
                log.info("watch: %s not read (timed out)", address)
            else:
                # An address that does not exist has no energy: it is low.
                readings[address] = resources

        if not await self._turns.take(addresses, read):
            log.info("watch: budget spent after %d addresses", len(readings))
        return readings

    async def _handle(self, watch: Watch, resources: AccountResources) -> list[WatchAction]:
        actions: list[WatchAction] = []
        available = resources.available_energy
        if not self._allowed(watch.user_id):
            # Access withdrawn (/deny): no more alerts; an auto-rent plan is stopped below,
            # and that is said once.
            if watch.plan is not None:
                plan = sized_plan(watch.plan, resources, watch.threshold)
                action = await self._auto_rent(watch, plan, False, available)
                actions.extend([action] if action is not None else [])
            return actions
        state, event = step_alert(watch.state, available, watch.threshold)
        told: WatchAction | None = None
        if event is AlertEvent.LOW:
            told = WatchAction(ActionKind.ALERT, watch, available)
        elif event is AlertEvent.RECOVERED:
            told = WatchAction(ActionKind.RECOVERED, watch, available)
        if state is not watch.state:
            await self._store.save_alert_state(watch.watch_id, state, told)
        if told is not None:
            actions.append(told)
        if watch.plan is not None:
            # Below the threshold itself, not the alert's band: energy just above it
            # (a rental arriving) must not order again.
            low = available < watch.threshold
            plan = sized_plan(watch.plan, resources, watch.threshold)
            action = await self._auto_rent(watch, plan, low, available)
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
            decided = decision(await self._provider_balance(plan.provider))
        if decided.action is RentAction.STOP:
            stopped = WatchAction(
                ActionKind.AUTO_RENT_STOPPED, watch, available, stop=decided.stop
            )
            await self._store.save_ledger(watch.watch_id, decided.ledger, stopped)
            return stopped
        if decided.action is RentAction.WAIT:
            if decided.ledger != watch.ledger:
                await self._store.save_ledger(watch.watch_id, decided.ledger, None)
            return None
        # Counted as placed before it is sent: a crash during the submit cannot lead to
        # a second order outside the budget (the open submission also blocks one).
        unknown = record_placement(plan, decided.ledger, PlaceResult(PlaceStatus.UNKNOWN), now)
        await self._store.save_ledger(watch.watch_id, unknown, None)
        self._balances.pop(plan.provider, None)  # it changes with the order
        try:
            result = await self._place(watch, plan)
        except Exception:  # the submit path must not stop the watcher; unknown is safe
            log.exception("watch %s: auto-rent placing raised", watch.watch_id)
            result = PlaceResult(PlaceStatus.UNKNOWN)
        ledger = record_placement(plan, decided.ledger, result, self._clock())
        stop = _STOPPING.get(result.status)
        action: WatchAction | None
        if stop is None:
            action = WatchAction(ActionKind.AUTO_RENT, watch, available, result)
        elif decided.ledger.stopped is stop:
            action = None  # told already
        else:
            action = WatchAction(ActionKind.AUTO_RENT_STOPPED, watch, available, result, stop)
        await self._store.save_ledger(watch.watch_id, ledger, action)
        return action

    async def _provider_balance(self, provider: str) -> int | None:
        """Asked once per check and provider (many low watches, one balance call)."""
        if provider not in self._balances:
            assert self._balance is not None
            try:
                self._balances[provider] = await self._balance(provider)
            except Exception:  # not known: the submit path refuses what it cannot pay
                log.exception("watch: the %s balance could not be read", provider)
                self._balances[provider] = None
        return self._balances[provider]


# Placing answers that stop spending (told once) rather than pause it.
_STOPPING: dict[PlaceStatus, StopReason] = {
    PlaceStatus.NO_BALANCE: StopReason.PROVIDER_BALANCE,
    PlaceStatus.SPEND_LIMIT: StopReason.SPEND_LIMIT,
}
