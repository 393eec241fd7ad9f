"""When to confirm a matched TronSave order by itself, and which rentals end soon.

A rental is confirmed (ended early, the unused part refunded) only once its energy has
been used: at least one USDT transfer sent by the receiver after the match, and the
energy left no longer covers another transfer. Someone who rented for several transfers
keeps the rental while the energy left covers one more, until the rental ends on its
own. "Another transfer" is one to a holder, or to the payee the order was sized for
while that measure stays true (`another_transfer_energy`). The transfer history is the
proof of use, not a drop in energy: energy recovers over 24 h and the receiver may hold
energy of its own.

The service only decides; `OrderService.confirm` does the confirming. The chain is
asked at the node's pace (the client's shared `Pacer`), a few orders per cycle in turn,
within a time budget (`turns.py`): an order not reached is looked at next cycle. Every
chain call has its own timeout and every order its own error boundary, so one hung call
or one unreadable order costs that order this cycle, never the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.chain.address import is_valid_address
from bot.chain.errors import ChainError
from bot.chain.models import TRANSFER_ENERGY_TO_HOLDER, AccountResources, Trc20Transfer
from bot.chain.port import ChainReader
from bot.services.turns import Turns

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DEFAULT_ORDERS_PER_CYCLE = 20
DEFAULT_BUDGET_SECONDS = 20.0
DEFAULT_CALL_TIMEOUT = 15.0  # one chain read, the client's retries included
# One page (200 transfers) is plenty to see "at least one since the match".
HISTORY_PAGES = 1


@dataclass(frozen=True, slots=True)
class ConfirmCandidate:
    """A matched TronSave order with a receiver and automatic confirmation on."""

    order_id: int
    chat_id: int
    receiver: str
    amount: int
    matched_at: float  # epoch seconds: when the delegation was seen
    ends_at: float | None
    # The energy of one transfer the order was sized for: the payee's figure kept with
    # the submission, else the holder figure (`another_transfer_energy` says when a
    # larger one is trusted).
    next_transfer_energy: int = TRANSFER_ENERGY_TO_HOLDER
    payee: str | None = None  # the payee it was sized for; None: not sized

    @property
    def measures_payee(self) -> bool:
        """Whether the payee's balance decides the figure (a figure above the holder's)."""
        return self.payee is not None and self.next_transfer_energy > TRANSFER_ENERGY_TO_HOLDER


class Verdict(StrEnum):
    CONFIRM = "confirm"
    WAIT_FIRST_TRANSFER = "wait_first_transfer"  # nothing sent since the match
    COVERS_ANOTHER = "covers_another"  # used, but the energy left covers one more
    RENTAL_ENDED = "rental_ended"  # ends on its own: nothing to confirm
    UNKNOWN = "unknown"  # the chain could not be read: decide next cycle


@dataclass(frozen=True, slots=True)
class ConfirmDecision:
    candidate: ConfirmCandidate
    verdict: Verdict
    transfers_seen: int = 0
    energy_left: int | None = None

    @property
    def rental_energy_used(self) -> int | None:
        """The rented energy gone (for the saving shown after the confirm)."""
        if self.energy_left is None:
            return None
        return self.candidate.amount - min(self.candidate.amount, self.energy_left)


def another_transfer_energy(
    candidate: ConfirmCandidate, sent: Sequence[Trc20Transfer], payee_holds: bool | None
) -> int:
    """The energy "another transfer" is measured by, never one that confirms too early.

    A figure at or below the holder's only keeps the rental longer, so it is used as it
    is. A larger one (a payee holding no USDT: a new balance slot costs about twice) is
    what the next transfer costs only while the receiver keeps to that payee and the
    payee still holds none: after the first transfer a payee that kept the USDT is a
    holder (its next transfer costs the holder figure), and a receiver that also sent
    elsewhere may send there again. Otherwise, or when the balance could not be read,
    the holder figure rules as without sizing. A payee swept after each deposit (an
    exchange's deposit address) thus gets its rental confirmed once what is left cannot
    pay another transfer to it.
    """
    figure = candidate.next_transfer_energy
    if not candidate.measures_payee:
        return figure
    only_to_payee = all(t.payee == candidate.payee for t in sent)
    return figure if only_to_payee and payee_holds is False else TRANSFER_ENERGY_TO_HOLDER


def decide(
    candidate: ConfirmCandidate,
    transfers: Sequence[Trc20Transfer] | None,
    resources: AccountResources | None,
    now: float,
    *,
    payee_holds: bool | None = None,
) -> ConfirmDecision:
    """The pure decision. `transfers` / `resources` None: could not be read;
    `payee_holds` None: the payee's USDT balance was not read (or not needed)."""
    if candidate.ends_at is not None and now >= candidate.ends_at:
        return ConfirmDecision(candidate, Verdict.RENTAL_ENDED)
    if transfers is None:
        return ConfirmDecision(candidate, Verdict.UNKNOWN)
    since_ms = int(candidate.matched_at * 1000)
    # Checked again here: a transfer before the delegation used other energy.
    sent = [
        t for t in transfers if t.sender == candidate.receiver and t.block_timestamp_ms >= since_ms
    ]
    if not sent:
        return ConfirmDecision(candidate, Verdict.WAIT_FIRST_TRANSFER)
    if resources is None:
        return ConfirmDecision(candidate, Verdict.UNKNOWN, len(sent))
    left = resources.available_energy
    if left >= another_transfer_energy(candidate, sent, payee_holds):
        return ConfirmDecision(candidate, Verdict.COVERS_ANOTHER, len(sent), left)
    return ConfirmDecision(candidate, Verdict.CONFIRM, len(sent), left)


class AutoConfirmStore(Protocol):
    async def auto_confirm_candidates(self) -> Sequence[ConfirmCandidate]:
        """Open matched TronSave orders with a receiver whose automatic confirmation is
        on (the user's setting and the order's)."""
        ...


class AutoConfirmService:
    def __init__(
        self,
        chain: ChainReader,
        store: AutoConfirmStore,
        *,
        orders_per_cycle: int = DEFAULT_ORDERS_PER_CYCLE,
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
        clock: Callable[[], float],
    ) -> None:
        if call_timeout <= 0:
            raise ValueError("call_timeout must be positive")
        self._chain = chain
        self._store = store
        self._clock = clock
        # An order takes at most three calls; a call kept within a quarter of the budget
        # lets every cycle finish at least one order, so one hanging every time never
        # holds the others back (a turn not finished is taken first again next cycle).
        self._call_timeout = min(call_timeout, budget_seconds / 4)
        self._turns = Turns[int](orders_per_cycle, budget_seconds, name="orders_per_cycle")

    async def cycle(self) -> list[ConfirmDecision]:
        """Decisions for this cycle's share of the candidates, in turn. The caller
        confirms those with `Verdict.CONFIRM` (grouped by chat)."""
        candidates = {c.order_id: c for c in await self._store.auto_confirm_candidates()}
        decisions: list[ConfirmDecision] = []

        async def check(order_id: int) -> None:
            candidate = candidates[order_id]
            try:
                decisions.append(await self._check(candidate))
            except Exception:
                # One order's surprise must not cost the others their turn.
                log.exception("auto-confirm: order %s could not be checked", order_id)
                decisions.append(ConfirmDecision(candidate, Verdict.UNKNOWN))

        if not await self._turns.take(candidates, check):
            log.info("auto-confirm: budget spent after %d orders", len(decisions))
        return decisions

    async def due(self) -> list[ConfirmDecision]:
        return [d for d in await self.cycle() if d.verdict is Verdict.CONFIRM]

    async def _check(self, candidate: ConfirmCandidate) -> ConfirmDecision:
        now = self._clock()
        if candidate.ends_at is not None and now >= candidate.ends_at:
            return decide(candidate, None, None, now)  # no need to ask the chain
        if not is_valid_address(candidate.receiver):
            # A stored receiver the client would refuse: never confirmed, never fatal.
            log.warning("auto-confirm: order %s has no valid receiver", candidate.order_id)
            return decide(candidate, None, None, now)
        try:
            transfers = await self._read(
                self._chain.outgoing_usdt_transfers(
                    candidate.receiver, int(candidate.matched_at * 1000), max_pages=HISTORY_PAGES
                )
            )
        except (ChainError, TimeoutError) as exc:
            log.info(
                "auto-confirm: order %s history not read (%s)", candidate.order_id, _code(exc)
            )
            return decide(candidate, None, None, now)
        first = decide(candidate, transfers, None, now)
        if first.verdict is not Verdict.UNKNOWN:
            return first  # no transfer yet: the energy need not be read
        try:
            resources = await self._read(self._chain.account_resources(candidate.receiver))
        except (ChainError, TimeoutError) as exc:
            log.info("auto-confirm: order %s energy not read (%s)", candidate.order_id, _code(exc))
            return first
        return await self._measured(candidate, transfers, resources)

    async def _measured(
        self,
        candidate: ConfirmCandidate,
        transfers: Sequence[Trc20Transfer],
        resources: AccountResources,
    ) -> ConfirmDecision:
        decision = decide(candidate, transfers, resources, self._clock())
        payee = candidate.payee
        kept = decision.verdict is Verdict.COVERS_ANOTHER
        if not kept or payee is None or not candidate.measures_payee:
            return decision
        # Kept by the holder figure: the payee's balance may show that its own (larger)
        # figure is what the next transfer costs.
        payee_holds = await self._payee_holds(candidate, payee)
        return decide(candidate, transfers, resources, self._clock(), payee_holds=payee_holds)

    async def _payee_holds(self, candidate: ConfirmCandidate, payee: str) -> bool | None:
        try:
            return await self._read(self._chain.usdt_balance(payee)) > 0
        except (ChainError, TimeoutError) as exc:
            log.info("auto-confirm: order %s payee not read (%s)", candidate.order_id, _code(exc))
            return None

    async def _read(self, call: Awaitable[_T]) -> _T:
        """One chain read within its own timeout: a hung call is given up, not awaited."""
        async with asyncio.timeout(self._call_timeout):
            return await call


def _code(exc: Exception) -> str:
    return exc.code if isinstance(exc, ChainError) else "TIMEOUT"


# --- rental ending soon ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RentalEnd:
    order_id: int
    chat_id: int
    ends_at: float
    submission_id: int = 0
    duration_sec: int = 0  # 0: not known

    def lead(self, lead_seconds: float) -> float:
        """At most half the rental before its end: a rental shorter than the lead time
        is not told "ending soon" the moment it starts."""
        return min(lead_seconds, self.duration_sec / 2) if self.duration_sec else lead_seconds


def ending_soon(rentals: Sequence[RentalEnd], now: float, lead_seconds: float) -> list[RentalEnd]:
    """Rentals still running that end within their lead time."""
    return [r for r in rentals if now < r.ends_at <= now + r.lead(lead_seconds)]


class RentalEndingStore(Protocol):
    async def matched_rentals_ending_before(self, until: float) -> Sequence[RentalEnd]:
        """Matched orders whose rental ends at or before `until`, not reported yet."""
        ...

    async def report_endings(self, rentals: Sequence[RentalEnd], now: float) -> list[RentalEnd]:
        """Record that the users are told, with their pushes, in one transaction; returns
        only those not reported before (compare-and-set), so a notice is sent once even
        across restarts."""
        ...


class RentalEndingService:
    def __init__(
        self, store: RentalEndingStore, *, lead_seconds: float, clock: Callable[[], float]
    ) -> None:
        if lead_seconds <= 0:
            raise ValueError("lead_seconds must be positive")
        self._store = store
        self._lead = lead_seconds
        self._clock = clock

    async def due(self) -> list[RentalEnd]:
        """The rentals told about now, each once."""
        now = self._clock()
        rentals = await self._store.matched_rentals_ending_before(now + self._lead)
        soon = ending_soon(rentals, now, self._lead)
        return await self._store.report_endings(soon, now) if soon else []
