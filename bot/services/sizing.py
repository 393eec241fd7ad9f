"""The chain checks of an order, as the conversation uses them: sizing the summary's
order within a short time budget, and the energy a rental used before a confirm.

Both calls return a result whatever the node does (nothing here raises on a chain
failure): what could not be checked is in the result, and the conversation goes on as
it would without a node. With chain reads off (`TRON_CHAIN_READS=false`) the result
says so and nothing is asked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from bot.chain.errors import ChainError
from bot.chain.models import TRANSFER_ENERGY_TO_HOLDER, TRANSFER_ENERGY_TO_NON_HOLDER
from bot.chain.port import ChainReader
from bot.domain import OrderState, ProviderName
from bot.services.energy_need import (
    FEEE_MIN_ENERGY,
    TRONSAVE_MIN_ENERGY,
    EnergyNeedService,
    NeedReport,
    NeedRequest,
    SizedTransfer,
)
from bot.services.savings import Savings, SavingsService, expected, realised
from bot.storage.repository import Order, Repository

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# The summary is not held back for the chain: about as long as the quote may take
# before the summary goes out anyway. A long receiver list is then sized in part (the
# rest is reported as not checked in time).
SUMMARY_BUDGET_SECONDS = 1.0
# Before a confirm: read alongside the provider's confirmation, so it adds no delay.
CONFIRM_BUDGET_SECONDS = 2.0

# The fallback figures of one transfer, to a payee holding USDT and to one holding none
# (for the summary to quote when the transfer could not be sized).
FALLBACK_ENERGY = (TRANSFER_ENERGY_TO_HOLDER, TRANSFER_ENERGY_TO_NON_HOLDER)

PROVIDER_MINIMUM = {ProviderName.TRONSAVE: TRONSAVE_MIN_ENERGY, ProviderName.FEEE: FEEE_MIN_ENERGY}


def provider_minimum(provider: str | None) -> int:
    """The smallest order the provider takes; without a provider, the larger of them."""
    for name, minimum in PROVIDER_MINIMUM.items():
        if name.value == provider:
            return minimum
    return max(PROVIDER_MINIMUM.values())


@dataclass(frozen=True, slots=True)
class Sizing:
    """What the chain said about an order before it is placed."""

    enabled: bool  # False: chain reads are off, nothing was asked
    report: NeedReport | None = None  # None: not checked at all (off, or a failure)
    energy_fee: int | None = None  # SUN per energy unit, live; None: not read

    @property
    def reachable(self) -> bool:
        return self.report is not None and (self.report.reachable or self.energy_fee is not None)

    @property
    def sized_transfer(self) -> SizedTransfer | None:
        """The payee's transfer the order is sized for, kept with its submission."""
        return None if self.report is None else self.report.sized_transfer

    def suggested_amount(self, minimum: int) -> int | None:
        """One amount for every receiver, at least the provider's minimum; None when no
        receiver could be sized or none needs more."""
        if self.report is None:
            return None
        need = self.report.suggested_amount
        return None if need is None else max(need, minimum)

    def expected(self, rental_sun: int | None) -> Savings | None:
        """The expected saving against the rental's cost (its quote)."""
        if self.report is None or self.energy_fee is None or rental_sun is None:
            return None
        return expected(self.report, rental_sun, self.energy_fee)

    def burn_sun(self) -> int | None:
        """What burning the transfers' energy would cost, without a rental to compare."""
        figures = self.expected(0)
        return None if figures is None else figures.burn_sun


@dataclass(frozen=True, slots=True)
class UsageSnapshot:
    """The receivers' energy just before a confirm, and the burn price."""

    energy_fee: int | None = None
    energy_left: Mapping[str, int] = field(default_factory=dict)

    def energy_used(self, order: Order) -> int | None:
        """The rented energy gone: its amount less what is left (capped at it). Energy the
        receiver holds of its own counts as left, so the figure errs low, never high."""
        if order.receiver is None or order.receiver not in self.energy_left:
            return None
        return order.amount - min(order.amount, self.energy_left[order.receiver])

    def saving_made(self, order: Order) -> Savings | None:
        """The saving actually made by a confirmed order; None while a figure is unknown."""
        used = self.energy_used(order)
        if used is None or self.energy_fee is None or order.charge_sun is None:
            return None
        return realised(
            charge_sun=order.charge_sun,
            refund_sun=order.refund_sun,
            energy_used=used,
            energy_fee=self.energy_fee,
        )


class SizingService:
    def __init__(
        self,
        chain: ChainReader | None,
        repo: Repository,
        *,
        need: EnergyNeedService | None = None,
        savings: SavingsService | None = None,
    ) -> None:
        self._chain = chain
        self._repo = repo
        self.need = need if need is not None or chain is None else EnergyNeedService(chain)
        self.savings = savings if savings is not None or chain is None else SavingsService(chain)

    @property
    def enabled(self) -> bool:
        return self.need is not None

    async def size(
        self,
        receivers: Sequence[str],
        amount: int,
        payee: str | None,
        *,
        budget: float = SUMMARY_BUDGET_SECONDS,
    ) -> Sizing:
        """The need of each receiver and the burn price, read side by side within
        `budget`. The suggestion is not clamped here: the provider is chosen later."""
        if self.need is None or self.savings is None:
            return Sizing(enabled=False)
        request = NeedRequest(receivers=tuple(receivers), amount=amount, minimum=0, payee=payee)
        report_result, fee_result = await asyncio.gather(
            self.need.assess(request, budget_seconds=budget),
            _within(self.savings.energy_fee(), budget),
            return_exceptions=True,
        )
        report = report_result if isinstance(report_result, NeedReport) else None
        if isinstance(report_result, BaseException):
            # Only a bad address gets here (the conversation checks them first).
            log.warning("sizing skipped: %s", report_result)
        fee = fee_result if isinstance(fee_result, int) else None
        return Sizing(enabled=True, report=report, energy_fee=fee)

    async def before_confirm(
        self,
        *,
        chat_id: int,
        order_ids: Sequence[int] = (),
        submission_id: int | None = None,
        budget: float = CONFIRM_BUDGET_SECONDS,
    ) -> UsageSnapshot:
        """The energy left on the receivers of the matched orders about to be confirmed
        (the rental still delegated), for the saving shown after the confirm."""
        if self._chain is None or self.savings is None:
            return UsageSnapshot()
        if submission_id is not None:
            orders = await self._repo.orders_of_submission(submission_id)
        else:
            orders = await self._repo.orders_by_ids(order_ids)
        receivers = list(
            dict.fromkeys(
                o.receiver
                for o in orders
                if o.chat_id == chat_id and o.state is OrderState.MATCHED and o.receiver
            )
        )
        chain = self._chain

        async def left(address: str) -> int | None:
            try:
                return (await chain.account_resources(address)).available_energy
            except (ChainError, ValueError) as exc:
                log.info("confirm saving: %s not read (%s)", address, exc)
                return None

        fee, *lefts = await asyncio.gather(
            _within(self.savings.energy_fee(), budget),
            *(_within(left(a), budget) for a in receivers),
        )
        found = {a: v for a, v in zip(receivers, lefts, strict=True) if isinstance(v, int)}
        return UsageSnapshot(fee if isinstance(fee, int) else None, found)


async def _within(call: Awaitable[_T], budget: float) -> _T | None:
    """`call`'s result, or None when it takes longer than `budget` (then cancelled)."""
    try:
        async with asyncio.timeout(budget):
            return await call
    except TimeoutError:
        return None
