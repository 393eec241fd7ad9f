"""How much energy one USDT transfer needs: simulated when possible, else the fallback
figures chosen by whether the payee already holds USDT."""

from __future__ import annotations

from bot.chain.models import (
    EnergySource,
    TransferEnergy,
    fallback_transfer_energy,
)
from bot.chain.port import ChainReader


async def transfer_energy(chain: ChainReader, sender: str, payee: str) -> TransferEnergy:
    """Raises `ChainError` when the node cannot be asked at all (the caller says so)."""
    simulated = await chain.simulate_usdt_transfer(sender, payee)
    if simulated is not None:
        return TransferEnergy(sender, payee, simulated, EnergySource.SIMULATED)
    holds = await chain.usdt_balance(payee) > 0
    source = EnergySource.HOLDER if holds else EnergySource.NON_HOLDER
    return TransferEnergy(sender, payee, fallback_transfer_energy(holds), source)
