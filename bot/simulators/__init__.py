"""Local HTTP simulators of the provider APIs (TronSave Fast Charge, Feee.io) for tests.

Start one in-process with ``with TronSaveSimulator(...) as sim: url = sim.base_url`` or by
hand with ``python -m bot.simulators.tronsave`` / ``python -m bot.simulators.feee``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.simulators.feee import FeeeSimulator
    from bot.simulators.tronsave import TronSaveSimulator

__all__ = ["FeeeSimulator", "TronSaveSimulator"]

_MODULES = {"FeeeSimulator": "bot.simulators.feee", "TronSaveSimulator": "bot.simulators.tronsave"}


def __getattr__(name: str) -> object:
    # Lazy, so `python -m bot.simulators.tronsave` does not import the module twice.
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
