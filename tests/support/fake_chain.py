"""An in-memory `ChainReader` for service tests: accounts, balances, transfers, faults."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from bot.chain.address import is_valid_address
from bot.chain.errors import ChainError, ChainUnavailable
from bot.chain.models import (
    TRANSFER_ENERGY_TO_HOLDER,
    TRANSFER_ENERGY_TO_NON_HOLDER,
    AccountResources,
    Trc20Transfer,
)


def unreachable() -> ChainError:
    return ChainUnavailable("CONNECT_ERROR", "ConnectError", outcome_unknown=False)


@dataclass
class FakeAccount:
    energy_limit: int = 0
    energy_used: int = 0
    usdt: int = 0


@dataclass
class FakeChain:
    accounts: dict[str, FakeAccount] = field(default_factory=dict)
    transfers: list[Trc20Transfer] = field(default_factory=list)
    fee: int = 100
    penalty: int = 0
    delay: float = 0.0  # seconds each call takes
    down: bool = False  # every call fails as unreachable
    failing: set[str] = field(default_factory=set)  # method names that fail
    failing_addresses: set[str] = field(default_factory=set)
    hanging_addresses: set[str] = field(default_factory=set)  # calls never answer
    errors: dict[tuple[str, str], ChainError] = field(default_factory=dict)  # (method, address)
    calls: Counter[str] = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0

    def add(self, address: str, **values: int) -> FakeAccount:
        self.accounts[address] = account = FakeAccount(**values)
        return account

    async def _enter(self, method: str, address: str | None = None) -> None:
        if address is not None and not is_valid_address(address):
            raise ValueError(address)
        self.calls[method] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if address in self.hanging_addresses:
                await asyncio.Event().wait()
        finally:
            self.in_flight -= 1
        if self.down or method in self.failing or address in self.failing_addresses:
            raise unreachable()
        if address is not None and (method, address) in self.errors:
            raise self.errors[method, address]

    async def account_resources(self, address: str) -> AccountResources:
        await self._enter("account_resources", address)
        account = self.accounts.get(address)
        if account is None:
            return AccountResources(address, exists=False)
        return AccountResources(address, True, account.energy_limit, account.energy_used)

    async def account_exists(self, address: str) -> bool:
        await self._enter("account_exists", address)
        return address in self.accounts

    async def usdt_balance(self, address: str) -> int:
        await self._enter("usdt_balance", address)
        account = self.accounts.get(address)
        return account.usdt if account else 0

    async def simulate_usdt_transfer(self, sender: str, payee: str, amount: int = 1) -> int | None:
        await self._enter("simulate_usdt_transfer", sender)
        source = self.accounts.get(sender)
        if source is None or source.usdt < amount:
            return None
        target = self.accounts.get(payee)
        base = (
            TRANSFER_ENERGY_TO_HOLDER if target and target.usdt else TRANSFER_ENERGY_TO_NON_HOLDER
        )
        return base + self.penalty  # energy_used includes the penalty

    async def energy_fee(self) -> int:
        await self._enter("energy_fee")
        return self.fee

    async def outgoing_usdt_transfers(
        self, address: str, since_ms: int, *, max_pages: int = 5
    ) -> list[Trc20Transfer]:
        await self._enter("outgoing_usdt_transfers", address)
        found = [
            t for t in self.transfers if t.sender == address and t.block_timestamp_ms >= since_ms
        ]
        return sorted(found, key=lambda t: -t.block_timestamp_ms)

    def send(self, sender: str, payee: str, at: float, *, energy: int | None = None) -> None:
        """Record a transfer at epoch seconds `at`, using the sender's energy."""
        self.transfers.append(
            Trc20Transfer(f"tx{len(self.transfers)}", int(at * 1000), sender, payee, 1, "usdt")
        )
        if energy is not None:
            self.accounts[sender].energy_used += energy

    async def aclose(self) -> None:
        return None
