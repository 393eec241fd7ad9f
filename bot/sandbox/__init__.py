"""Local HTTP simulators of the provider APIs (TronSave Fast Charge, Feee.io) for tests.

Start one in-process with ``with TronSaveSimulator(...) as sim: url = sim.base_url`` or by
hand with ``python -m bot.sandbox.tronsave`` / ``python -m bot.sandbox.feee``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.sandbox.feee import FeeeSimulator
    from bot.sandbox.tronsave import TronSaveSimulator

__all__ = ["FeeeSimulator", "TronSaveSimulator"]

_MODULES = {"FeeeSimulator": "bot.sandbox.feee", "TronSaveSimulator": "bot.sandbox.tronsave"}


def __getattr__(name: str) -> object:
    # Lazy, so `python -m bot.sandbox.tronsave` does not import the module twice.
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
