"""`OrderBookSimulator`: what both provider simulators keep alike on top of their settings."""

from __future__ import annotations

from abc import abstractmethod
from decimal import Decimal
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from bot.sandbox.configured import ConfiguredSimulator, SettingsT


class _Shiftable(Protocol):
    def shift(self, seconds: float) -> None: ...


BalanceT = TypeVar("BalanceT", int, Decimal)
OrderT = TypeVar("OrderT", bound=_Shiftable)


class OrderBookSimulator(ConfiguredSimulator[SettingsT], Generic[SettingsT, BalanceT, OrderT]):
    """What both provider simulators keep alike: settings, a balance (the `balance`
    keyword and setting), the orders (all, and those whose lifecycle still runs)."""

    default_balance: ClassVar[int | Decimal]

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **changes: object) -> None:
        # Set first: the `balance` keyword replaces it while the settings are read.
        self._balance: BalanceT = cast(BalanceT, self.coercers["balance"](self.default_balance))
        self._orders: dict[str, OrderT] = {}  # creation order
        self._open: dict[str, OrderT] = {}  # lifecycle rules still apply
        super().__init__(host=host, port=port, **changes)
        self._initial_balance: BalanceT = self._balance

    def balance(self) -> BalanceT:
        with self._lock:
            return self._balance

    @abstractmethod
    def _order_json(self, order: OrderT) -> dict[str, object]: ...

    def _state_locked(self) -> dict[str, object]:
        return {
            "balance": self._balance,
            "orders": [self._order_json(order) for order in self._orders.values()],
            "config": self._config_locked(),
        }

    def _config_locked(self) -> dict[str, object]:
        return {**super()._config_locked(), "balance": self._balance}

    def _apply_extra(self, coerced: dict[str, Any]) -> dict[str, Any]:
        if "balance" in coerced:
            self._balance = coerced.pop("balance")
        return coerced

    def _shift_locked(self, seconds: float) -> None:
        for order in self._orders.values():
            order.shift(seconds)

    def _reset_locked(self) -> None:
        super()._reset_locked()
        self._balance = self._initial_balance
        self._orders.clear()
        self._open.clear()
