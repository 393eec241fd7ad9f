"""`ConfiguredSimulator`: a simulator's settings kept in a frozen dataclass. The
constructor takes them as keywords, `configure()` and the command line (`bot.sandbox.cli`)
change them through the same coercers. `bot.sandbox.order_book.OrderBookSimulator` adds a
balance and orders on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from bot.sandbox.base import BaseSimulator
from bot.sandbox.traffic import WindowLimiter
from bot.sandbox.values import Coercer, coerce_changes

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SettingsT = TypeVar("SettingsT", bound="DataclassInstance")


class ConfiguredSimulator(BaseSimulator, Generic[SettingsT]):
    """Settings in a frozen dataclass, given as keywords (`TronSaveSimulator(unit_price=70)`),
    changed at run time through `coercers` (which also read the command line's text), and
    back to the constructor's on `reset()`. An unknown name is refused with ValueError."""

    settings_type: ClassVar[type[Any]]
    coercers: ClassVar[Mapping[str, Coercer]]

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **changes: object) -> None:
        super().__init__(host=host, port=port)
        coerced = self._apply_extra(coerce_changes(changes, self.coercers))
        self._initial: SettingsT = self.settings_type(**coerced)
        self._settings: SettingsT = self._initial
        self._limiter = WindowLimiter()
        self._init_state()
        self._register_routes()

    def _init_state(self) -> None:
        """Set up the subclass's own state (the settings are there already)."""

    def _config_locked(self) -> dict[str, object]:
        return {f.name: getattr(self._settings, f.name) for f in fields(self._settings)}

    def _configure_locked(self, changes: Mapping[str, object]) -> None:
        self._settings = replace(
            self._settings, **self._apply_extra(coerce_changes(changes, self.coercers))
        )

    def _apply_extra(self, coerced: dict[str, Any]) -> dict[str, Any]:
        """Take the values that are not settings out of `coerced`; returns the rest."""
        return coerced

    def _reset_locked(self) -> None:
        self._settings = self._initial
        self._limiter.clear()
