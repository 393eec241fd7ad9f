"""What the services need from the TRON network, so they can be tested with a fake."""

from __future__ import annotations

from typing import Protocol

from bot.chain.models import AccountResources, Trc20Transfer


class ChainReader(Protocol):
    """Read-only chain facts. Every method may raise a `bot.chain.errors.ChainError`;
    addresses must be valid base58 (ValueError otherwise, before anything is sent)."""

    async def account_resources(self, address: str) -> AccountResources: ...

    async def account_exists(self, address: str) -> bool:
        """False for an address that was never activated."""
        ...

    async def usdt_balance(self, address: str) -> int:
        """USDT held, in 10⁻⁶ USDT."""
        ...

    async def simulate_usdt_transfer(self, sender: str, payee: str, amount: int = 1) -> int | None:
        """Energy the transfer would use now: triggerconstantcontract's `energy_used`, which
        already includes USDT's dynamic `energy_penalty`. None when the simulation cannot
        run (e.g. the sender holds less than `amount`): use the fallback figures."""
        ...

    async def energy_fee(self) -> int:
        """The burn price in SUN per energy unit (cached by the client)."""
        ...

    async def outgoing_usdt_transfers(
        self, address: str, since_ms: int, *, max_pages: int = 5
    ) -> list[Trc20Transfer]:
        """USDT transfers sent by `address` at or after `since_ms`, newest first."""
        ...

    async def aclose(self) -> None: ...
