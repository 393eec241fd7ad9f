"""What renting saves over burning TRX: before the order (expected) and after a confirm
(actually made). All amounts in SUN; the burn price is read live (`getEnergyFee`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from bot.chain.errors import ChainError
from bot.chain.port import ChainReader
from bot.services.energy_need import NeedReport, ReceiverNeed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Savings:
    energy: int  # energy the transfers take from the rental
    energy_fee: int  # SUN per energy unit, live
    burn_sun: int  # what burning that energy would cost
    cost_sun: int  # the rental's cost (after a confirm: net of the refund)

    @property
    def saving_sun(self) -> int:
        """Negative when renting costs more than burning."""
        return self.burn_sun - self.cost_sun

    @property
    def saving_ratio(self) -> Decimal | None:
        """The saving as a fraction of the burn cost (0.65 = 65 % saved)."""
        if self.burn_sun <= 0:
            return None
        return Decimal(self.saving_sun) / Decimal(self.burn_sun)


def burn_sun(energy: int, energy_fee: int) -> int:
    if energy < 0 or energy_fee < 0:
        raise ValueError("energy and fee are non-negative")
    return energy * energy_fee


def rented_energy_used(need: ReceiverNeed, per_transfer: int, amount: int) -> int | None:
    """The part of the rental the intended transfers would use: their energy less what
    the receiver already has, at most `amount` (short of a transfer, all of it is used and
    the rest burns). None when the receiver could not be checked."""
    if need.available_energy is None or need.transfers is None or per_transfer <= 0:
        return None
    return min(amount, max(0, need.transfers * per_transfer - need.available_energy))


def expected(report: NeedReport, rental_sun: int, energy_fee: int) -> Savings | None:
    """The expected saving of an order (every receiver together). None when any receiver
    or the transfer's energy is unknown: a partial figure would overstate the saving."""
    per = report.transfer.energy
    if per is None or rental_sun < 0:
        return None
    used = [rented_energy_used(r, per, report.amount) for r in report.receivers]
    if not used or any(u is None for u in used):
        return None
    energy = sum(u for u in used if u is not None)
    return Savings(energy, energy_fee, burn_sun(energy, energy_fee), rental_sun)


def realised(
    *, charge_sun: int, refund_sun: int | None, energy_used: int, energy_fee: int
) -> Savings | None:
    """After a confirm: the net cost (charge less refund) against burning the energy the
    transfers actually used. None while the refund is unknown."""
    if refund_sun is None:
        return None
    net = max(0, charge_sun - refund_sun)
    return Savings(energy_used, energy_fee, burn_sun(energy_used, energy_fee), net)


class SavingsService:
    def __init__(self, chain: ChainReader) -> None:
        self._chain = chain

    async def energy_fee(self) -> int | None:
        """The live burn price, or None when the node cannot say (the summary then
        leaves the saving out and says it could not check the price)."""
        try:
            return await self._chain.energy_fee()
        except ChainError as exc:
            log.info("savings: burn price not read (%s)", exc.code)
            return None

    async def expected(self, report: NeedReport, rental_sun: int) -> Savings | None:
        fee = await self.energy_fee()
        return None if fee is None else expected(report, rental_sun, fee)

    async def realised(
        self, *, charge_sun: int, refund_sun: int | None, energy_used: int
    ) -> Savings | None:
        fee = await self.energy_fee()
        if fee is None:
            return None
        return realised(
            charge_sun=charge_sun, refund_sun=refund_sun, energy_used=energy_used, energy_fee=fee
        )
