"""How much energy an order really needs, receiver by receiver, read from the chain.

For each energy receiver (the USDT sender): is it activated, how much energy does it
already have, how many transfers does the rented amount cover, and what amount would
fit. The energy of one transfer depends on the payee (the USDT recipient), so it is
found once per order: simulated from the first receiver able to send (the same payee
and contract state give the same figure from any sender), else the holder / non-holder
figure by the payee's USDT balance. Without a payee the holder figure is assumed (the
common case) and said so.

Nothing here raises on a chain failure: what could not be checked is reported in
`NeedReport.unchecked`, and the conversation then goes on exactly as without a node.
The node's pace is kept by the client's shared `Pacer`; the concurrency here only
overlaps latencies, and a time budget bounds the whole check (100 receivers at the
default 5 requests/s take about 20 s, so the budget may cut a long list: the receivers
not reached are reported unchecked, not guessed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.chain.address import is_valid_address
from bot.chain.errors import ChainBadAnswer, ChainError
from bot.chain.models import TRANSFER_ENERGY_TO_HOLDER, AccountResources, fallback_transfer_energy
from bot.chain.port import ChainReader

log = logging.getLogger(__name__)

# Provider minimums per order (their docs): pass the one of the provider asked.
TRONSAVE_MIN_ENERGY = 65_000
FEEE_MIN_ENERGY = 32_000

DEFAULT_CONCURRENCY = 4
DEFAULT_BUDGET_SECONDS = 25.0
# Senders tried for a simulation before falling back to the payee's balance.
MAX_SIMULATION_SENDERS = 3


class NeedBasis(StrEnum):
    """Where the energy of one transfer comes from."""

    SIMULATED = "simulated"  # triggerconstantcontract from a receiver (penalty included)
    PAYEE_HOLDER = "payee_holder"  # fallback: the payee holds USDT
    PAYEE_NON_HOLDER = "payee_non_holder"  # fallback: the payee holds none
    ASSUMED_HOLDER = "assumed_holder"  # no payee given: the holder figure, may be more
    UNKNOWN = "unknown"  # the node could not be asked


class Check(StrEnum):
    """What the bot could not check (said to the user)."""

    ACTIVATION = "activation"
    ENERGY = "energy"
    TRANSFER_NEED = "transfer_need"


class NeedFlag(StrEnum):
    NOT_ACTIVATED = "not_activated"  # a delegation to it may fail: warn before ordering
    COVERS_NONE = "covers_none"  # the amount (plus energy on hand) covers no transfer
    NEEDS_NONE = "needs_none"  # the energy on hand already covers a transfer


@dataclass(frozen=True, slots=True)
class NeedRequest:
    receivers: Sequence[str]
    amount: int  # energy rented per receiver
    minimum: int  # the provider's minimum order
    payee: str | None = None
    transfers: int | None = None  # transfers intended; None: inferred from `amount`


@dataclass(frozen=True, slots=True)
class TransferNeed:
    energy: int | None  # one transfer; None when unknown
    basis: NeedBasis


# The bases that measured the payee's transfer (the chain said so); the assumed holder
# figure (no payee given) and an unknown one are no measure of anything.
PAYEE_BASES = frozenset({NeedBasis.SIMULATED, NeedBasis.PAYEE_HOLDER, NeedBasis.PAYEE_NON_HOLDER})


@dataclass(frozen=True, slots=True)
class SizedTransfer:
    """The transfer an order was sized for: to `payee`, `energy` each (kept with the
    submission for automatic confirmation)."""

    payee: str
    energy: int


@dataclass(frozen=True, slots=True)
class ReceiverNeed:
    receiver: str
    activated: bool | None  # None: not checked
    available_energy: int | None  # None: not checked
    transfers_covered: int | None  # by amount + energy on hand
    suggested_amount: int | None  # None: unknown, or no rental needed (NEEDS_NONE)
    flags: frozenset[NeedFlag]
    failure: str | None = None  # the chain error code, when not checked
    transfers: int | None = None  # the transfers sized for (asked, or read from amount)


@dataclass(frozen=True, slots=True)
class NeedReport:
    amount: int
    payee: str | None
    transfer: TransferNeed
    receivers: tuple[ReceiverNeed, ...]
    unchecked: frozenset[Check]

    @property
    def reachable(self) -> bool:
        """False when nothing at all could be read: the bot behaves as without a node."""
        return any(r.available_energy is not None for r in self.receivers) or (
            self.transfer.basis not in (NeedBasis.UNKNOWN, NeedBasis.ASSUMED_HOLDER)
        )

    @property
    def sized_transfer(self) -> SizedTransfer | None:
        """The payee's transfer as the chain measured it; None without a payee or a
        figure read for it."""
        energy = self.transfer.energy
        if self.payee is None or energy is None or self.transfer.basis not in PAYEE_BASES:
            return None
        return SizedTransfer(self.payee, energy)

    @property
    def suggested_amount(self) -> int | None:
        """One amount for every receiver (an order rents the same to each): the largest
        suggestion, so that each is covered."""
        amounts = [r.suggested_amount for r in self.receivers if r.suggested_amount is not None]
        return max(amounts) if amounts else None


def intended_transfers(amount: int, per_transfer: int) -> int:
    """The transfers an amount was meant for: the nearest whole number, at least one
    (65,000 means one transfer to a holder; 130,000 one to a non-holder)."""
    return max(1, (2 * amount + per_transfer) // (2 * per_transfer))


def size_receiver(
    receiver: str,
    resources: AccountResources | None,
    transfer: TransferNeed,
    *,
    amount: int,
    minimum: int,
    transfers: int | None = None,
    failure: str | None = None,
) -> ReceiverNeed:
    """The pure sizing of one receiver; `resources` None when they could not be read."""
    flags: set[NeedFlag] = set()
    activated = available = None
    if resources is not None:
        activated, available = resources.exists, resources.available_energy
        if not activated:
            flags.add(NeedFlag.NOT_ACTIVATED)
    per = transfer.energy
    if per is None or per <= 0:
        return ReceiverNeed(receiver, activated, available, None, None, frozenset(flags), failure)
    # Energy not read counts as none: the suggestion then errs on the side of enough.
    on_hand = available or 0
    covered = (amount + on_hand) // per
    if covered == 0:
        flags.add(NeedFlag.COVERS_NONE)
    if available is not None and available >= per:
        flags.add(NeedFlag.NEEDS_NONE)
    wanted = transfers if transfers is not None else intended_transfers(amount, per)
    missing = wanted * per - on_hand
    suggested = max(minimum, missing) if missing > 0 else None
    return ReceiverNeed(
        receiver, activated, available, covered, suggested, frozenset(flags), failure, wanted
    )


class EnergyNeedService:
    def __init__(
        self,
        chain: ChainReader,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._chain = chain
        self._concurrency = concurrency
        self._budget = budget_seconds

    async def assess(
        self, request: NeedRequest, *, budget_seconds: float | None = None
    ) -> NeedReport:
        """Raises ValueError for an invalid address or amount (the conversation checks
        these first); never for anything the chain does. `budget_seconds` overrides the
        service's time budget for this call (the summary's is short)."""
        addresses = [*request.receivers, *([request.payee] if request.payee else [])]
        bad = [a for a in addresses if not is_valid_address(a)]
        if bad:
            raise ValueError(f"not TRON addresses: {bad!r}")
        if request.amount <= 0 or request.minimum < 0:
            raise ValueError("the amount must be positive")
        if request.transfers is not None and request.transfers < 1:
            raise ValueError("the number of transfers must be positive")
        receivers = list(dict.fromkeys(request.receivers))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._budget if budget_seconds is None else budget_seconds)
        gate = asyncio.Semaphore(self._concurrency)

        async def read(address: str) -> AccountResources | str:
            async with gate:
                try:
                    return await self._chain.account_resources(address)
                except ChainError as exc:
                    return exc.code

        tasks = {a: asyncio.ensure_future(read(a)) for a in receivers}
        try:
            transfer = await self._transfer_need(request.payee, receivers, deadline)
            remaining = max(0.0, deadline - loop.time())
            if tasks:
                await asyncio.wait(tasks.values(), timeout=remaining)
        finally:
            # Cut by the budget, or by a bug raising here: no reading outlives the call.
            pending = [t for t in tasks.values() if not t.done()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        results: list[ReceiverNeed] = []
        unchecked: set[Check] = set()
        if transfer.basis is NeedBasis.UNKNOWN:
            unchecked.add(Check.TRANSFER_NEED)
        for address, task in tasks.items():
            outcome: AccountResources | str = "BUDGET" if task.cancelled() else task.result()
            if isinstance(outcome, str):
                unchecked.update((Check.ACTIVATION, Check.ENERGY))
                log.info("energy need: %s not checked (%s)", address, outcome)
                resources, failure = None, outcome
            else:
                resources, failure = outcome, None
            results.append(
                size_receiver(
                    address,
                    resources,
                    transfer,
                    amount=request.amount,
                    minimum=request.minimum,
                    transfers=request.transfers,
                    failure=failure,
                )
            )
        return NeedReport(
            request.amount, request.payee, transfer, tuple(results), frozenset(unchecked)
        )

    async def _transfer_need(
        self, payee: str | None, senders: Sequence[str], deadline: float
    ) -> TransferNeed:
        if payee is None:
            return TransferNeed(TRANSFER_ENERGY_TO_HOLDER, NeedBasis.ASSUMED_HOLDER)
        remaining = max(0.0, deadline - asyncio.get_running_loop().time())
        try:
            async with asyncio.timeout(remaining):
                return await self._simulate_or_fallback(payee, senders)
        except (ChainError, TimeoutError) as exc:
            log.info("energy need: transfer to %s not sized (%s)", payee, _code(exc))
            return TransferNeed(None, NeedBasis.UNKNOWN)

    async def _simulate_or_fallback(self, payee: str, senders: Sequence[str]) -> TransferNeed:
        for sender in senders[:MAX_SIMULATION_SENDERS]:
            try:
                energy = await self._chain.simulate_usdt_transfer(sender, payee)
            except ChainBadAnswer as exc:
                # This sender's call was refused (an account the node does not know, say).
                log.info("energy need: simulation from %s refused (%s)", sender, exc.code)
                continue
            except ChainError as exc:
                # A node that answers nothing will not answer the balance either.
                log.info("energy need: simulation from %s failed (%s)", sender, exc.code)
                break
            if energy is not None:
                return TransferNeed(energy, NeedBasis.SIMULATED)
        holds = await self._chain.usdt_balance(payee) > 0
        basis = NeedBasis.PAYEE_HOLDER if holds else NeedBasis.PAYEE_NON_HOLDER
        return TransferNeed(fallback_transfer_energy(holds), basis)


def _code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, ChainError) else "BUDGET"
