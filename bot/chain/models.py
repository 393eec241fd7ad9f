"""The chain facts the bot uses, in its own terms (energy units, SUN, 10⁻⁶ USDT, seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# USDT on TRON (TRC-20), the only token the bot reads.
USDT_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDT_DECIMALS = 6

# Energy of one USDT transfer when it cannot be simulated, by the payee's state. Measured
# on mainnet 2026-09-30 (third-party figures, see the project's TRON chain notes); USDT's
# dynamic energy penalty can add to both at busy times.
TRANSFER_ENERGY_TO_HOLDER = 64_285  # the payee already holds USDT
TRANSFER_ENERGY_TO_NON_HOLDER = 130_285  # the payee holds none (a new storage slot)


def fallback_transfer_energy(payee_holds_usdt: bool) -> int:
    return TRANSFER_ENERGY_TO_HOLDER if payee_holds_usdt else TRANSFER_ENERGY_TO_NON_HOLDER


@dataclass(frozen=True, slots=True)
class AccountResources:
    """An account's energy now. `exists` False: the node does not know the address."""

    address: str
    exists: bool
    energy_limit: int = 0  # from staking and delegations to this account
    energy_used: int = 0  # recovers over a rolling 24 h window

    @property
    def available_energy(self) -> int:
        return max(0, self.energy_limit - self.energy_used)


class EnergySource(StrEnum):
    SIMULATED = "simulated"  # triggerconstantcontract's energy_used (penalty included)
    HOLDER = "holder"  # fallback figure, payee holds USDT
    NON_HOLDER = "non_holder"  # fallback figure, payee holds none


@dataclass(frozen=True, slots=True)
class TransferEnergy:
    """The energy one USDT transfer from `sender` to `payee` needs, and how it was found."""

    sender: str
    payee: str
    energy: int
    source: EnergySource


@dataclass(frozen=True, slots=True)
class Trc20Transfer:
    """One TRC-20 transfer as TronGrid lists it; `value` in the token's smallest unit."""

    transaction_id: str
    block_timestamp_ms: int
    sender: str
    payee: str
    value: int
    token_address: str

    @property
    def block_time(self) -> float:
        return self.block_timestamp_ms / 1000
