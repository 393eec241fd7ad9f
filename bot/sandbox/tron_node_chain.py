"""TRON node simulator, its chain: accounts, energy (delegated, used, recovering),
USDT balances and transfers, injected rate limits, and the Python control API.

`bot.sandbox.tron_node` puts the node's HTTP API in front of it; its docstring says what
is simplified.
"""

from __future__ import annotations

from bot.sandbox.configured import ConfiguredSimulator
from bot.sandbox.tron_node_model import (
    COERCERS,
    Limit,
    SimAccount,
    SimTransfer,
    TronNodeSettings,
    require_address,
)
from bot.sandbox.values import new_txid


class TronNodeChain(ConfiguredSimulator[TronNodeSettings]):
    """The state behind the API; energy recovers on the simulated clock. Keywords: host,
    port, any `TronNodeSettings` field."""

    settings_type = TronNodeSettings
    coercers = COERCERS

    def _init_state(self) -> None:
        self._accounts: dict[str, SimAccount] = {}
        self._transfers: list[SimTransfer] = []  # oldest first
        self._limits: list[Limit] = []

    # ---- Python control API (thread-safe) ---------------------------------------------

    def set_account(
        self,
        address: str,
        *,
        activated: bool = True,
        energy_limit: int | None = None,
        energy_used: int | None = None,
        usdt: int | None = None,
        trx_sun: int | None = None,
    ) -> dict[str, object]:
        """Create or change an account; omitted values stay as they are (0 when new)."""
        require_address(address)
        with self._lock:
            now = self.now()
            account = self._account(address)
            account.activated = activated
            if energy_used is not None:
                account.energy_used, account.used_at = energy_used, now
            else:  # keep today's usage, re-based on now
                account.energy_used = account.used_now(now, self._settings.recovery_seconds)
                account.used_at = now
            if energy_limit is not None:
                account.energy_limit = energy_limit
            if usdt is not None:
                account.usdt = usdt
            if trx_sun is not None:
                account.trx_sun = trx_sun
            return self._account_json(account)

    def account(self, address: str) -> dict[str, object] | None:
        with self._lock:
            found = self._accounts.get(address)
            return self._account_json(found) if found else None

    def delegate_energy(self, address: str, amount: int) -> dict[str, object]:
        """A provider delegates `amount` energy (a rental starts)."""
        with self._lock:
            account = self._accounts.get(address)
            if account is None or not account.activated:
                raise ValueError(f"account {address} does not exist")
            account.energy_limit += amount
            return self._account_json(account)

    def undelegate_energy(self, address: str, amount: int) -> dict[str, object]:
        """The delegation ends (the rental is over or confirmed)."""
        with self._lock:
            account = self._accounts.get(address)
            if account is None:
                raise ValueError(f"account {address} does not exist")
            account.energy_limit = max(0, account.energy_limit - amount)
            return self._account_json(account)

    def transfer_usdt(
        self, sender: str, payee: str, amount: int, *, penalty: int | None = None
    ) -> dict[str, object]:
        """Send USDT on the simulated chain: energy first, then TRX burnt for the rest."""
        require_address(sender)
        require_address(payee)
        if amount <= 0:
            raise ValueError("the amount must be positive")
        with self._lock:
            now = self.now()
            window = self._settings.recovery_seconds
            source = self._accounts.get(sender)
            if source is None or not source.activated:
                raise ValueError(f"sender {sender} does not exist")
            if source.usdt < amount:
                raise ValueError(f"sender holds {source.usdt}, less than {amount}")
            need = self._transfer_energy(payee) + (
                self._settings.energy_penalty if penalty is None else penalty
            )
            from_energy = min(need, source.available(now, window))
            burned = (need - from_energy) * self._settings.energy_fee
            if burned > source.trx_sun:
                raise ValueError(f"sender has too little TRX to burn {burned} SUN")
            source.energy_used = source.used_now(now, window) + from_energy
            source.used_at = now
            source.trx_sun -= burned
            source.usdt -= amount
            self._account(payee).usdt += amount
            record = SimTransfer(
                transaction_id=new_txid(),
                timestamp=now,
                sender=sender,
                payee=payee,
                value=amount,
                energy_used=from_energy,
                energy_burned=need - from_energy,
                burned_sun=burned,
            )
            self._transfers.append(record)
            return {**record.as_v1(), **self._transfer_costs(record)}

    def inject_limit(
        self, status: int = 429, count: int = 1, retry_after: float | None = None
    ) -> None:
        """Refuse the next `count` API requests with 429, or 403 (TronGrid's block)."""
        if status not in (429, 403) or count < 1:
            raise ValueError("status must be 429 or 403, count >= 1")
        with self._lock:
            self._limits.append(Limit(status, count, retry_after))

    def _state_locked(self) -> dict[str, object]:
        return {
            "accounts": [self._account_json(a) for a in self._accounts.values()],
            "transfers": [
                {**t.as_v1(), **self._transfer_costs(t)} for t in reversed(self._transfers)
            ],
            "config": self._config_locked(),
        }

    def _shift_locked(self, seconds: float) -> None:
        for account in self._accounts.values():
            account.used_at -= seconds
            account.created_at -= seconds
        for transfer in self._transfers:
            transfer.timestamp -= seconds

    def _tick_locked(self) -> None:
        """Energy recovery is computed when read; nothing else runs on its own."""

    def _reset_locked(self) -> None:
        super()._reset_locked()
        self._accounts.clear()
        self._transfers.clear()
        self._limits.clear()

    # ---- helpers (lock held) --------------------------------------------------------------

    def _account(self, address: str) -> SimAccount:
        account = self._accounts.get(address)
        if account is None:
            account = SimAccount(address, activated=False, created_at=self.now())
            self._accounts[address] = account
        return account

    def _account_json(self, account: SimAccount) -> dict[str, object]:
        now, window = self.now(), self._settings.recovery_seconds
        return {
            "address": account.address,
            "activated": account.activated,
            "energy_limit": account.energy_limit,
            "energy_used": account.used_now(now, window),
            "available_energy": account.available(now, window),
            "usdt": account.usdt,
            "trx_sun": account.trx_sun,
        }

    @staticmethod
    def _transfer_costs(record: SimTransfer) -> dict[str, object]:
        return {
            "energy_used": record.energy_used,
            "energy_burned": record.energy_burned,
            "burned_sun": record.burned_sun,
        }

    def _transfer_energy(self, payee: str) -> int:
        """A payee without USDT needs a new storage slot in the contract: more energy."""
        account = self._accounts.get(payee)
        if account is not None and account.usdt > 0:
            return self._settings.holder_energy
        return self._settings.non_holder_energy

    def _activated(self, address: str | None) -> SimAccount | None:
        account = self._accounts.get(address) if address else None
        return account if account is not None and account.activated else None
